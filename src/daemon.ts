// The composition root: config → runtimes → agents → task service → gRPC + metrics; signals drive shutdown.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from './config/config-types.js';
import { loadConfig } from './config/load-config.js';
import { AgentRegistry } from './core/agent-registry.js';
import type { AriCore, HealthReport } from './core/ari-core.js';
import type { Journal } from './core/journal.js';
import { openJournal } from './core/open-journal.js';
import { resolveLimits } from './core/limits-resolver.js';
import { Scheduler } from './core/scheduler.js';
import { TaskService } from './core/task-service.js';
import { createLogger } from './observability/logger.js';
import { Metrics, startMetricsServer } from './observability/metrics.js';
import { RUNTIME_NAMES, type AgentSpec, type RuntimeName } from './contract/agent.js';
import type { Runtime } from './runtimes/runtime.js';
import { createRuntime } from './runtimes/select-runtime.js';
import { securityFor } from './server/auth.js';
import { startGrpcServer } from './server/grpc-server.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface DaemonHandle {
  address: string;
  metricsAddress: string | null;
  daemonId: string;
  config: Config;
  core: AriCore;
  runtimes: Map<RuntimeName, Runtime>;
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  logger?: Logger;
  journal?: Journal;
}

async function prepareAgents(agents: AgentSpec[], runtimes: Map<RuntimeName, Runtime>, logger: Logger): Promise<Map<string, string>> {
  const broken = new Map<string, string>();
  await Promise.all(agents.map(async (agent) => {
    const rt = runtimes.get(agent.runtime)!;
    const h = await rt.health();
    if (!h.available) {
      broken.set(agent.id, h.reason);
      logger.warn({ agent_id: agent.id, runtime: agent.runtime, reason: h.reason }, 'backend unavailable: agent will answer UNAVAILABLE');
      return;
    }
    await rt.prepare(agent); // an AgentLoadError fails startup: a bad agent is a config error, loudly
    logger.info({ agent_id: agent.id, runtime: agent.runtime }, 'agent ready');
  }));
  return broken;
}

export async function startDaemon(opts: StartOptions): Promise<DaemonHandle> {
  const { config } = opts;
  const logger = opts.logger ?? createLogger();
  const daemonId = `${process.pid.toString(36)}-${randomBytes(4).toString('hex')}`;
  const security = securityFor(config.server.listen, config.auth);
  for (const w of security.warnings) logger.warn(w);
  const registry = new AgentRegistry(config.agents);
  // Opened first: a data directory locked by another daemon must fail before any backend starts.
  const journal = opts.journal ?? openJournal(config.storage, logger);
  const interrupted = journal.recoverInterrupted(Date.now());
  if (interrupted.length) {
    logger.warn({ count: interrupted.length, task_ids: interrupted.slice(0, 20).map((r) => r.taskId) }, 'tasks of the previous daemon recorded as FAILED DAEMON_RESTARTED');
  }
  const agentLimits = (a: AgentSpec) => resolveLimits(config.limits.default, config.limits.max, a.limits, {});
  const runtimes = new Map<RuntimeName, Runtime>(RUNTIME_NAMES.map((n) => [n, createRuntime(n, { config, logger, daemonId, agentLimits })]));
  await Promise.all([...runtimes.values()].map((r) => r.start()));
  // Whatever fails from here on (a bad agent, a port in use) must not leave pools, workers or the journal lock.
  const release = async () => {
    await Promise.allSettled([...runtimes.values()].map((r) => r.close()));
    journal.close();
  };
  let broken: Map<string, string>;
  try {
    broken = await prepareAgents(config.agents, runtimes, logger);
  } catch (e) {
    await release();
    throw e;
  }
  const metrics = new Metrics();
  const scheduler = new Scheduler(config.backends, (rt, q, r) => metrics.setQueue(rt, q, r));
  const tasks = new TaskService({
    registry, scheduler, journal, logger, observer: metrics,
    runtimeFor: (n) => runtimes.get(n)!,
    unavailableReason: (a) => broken.get(a.id),
    policy: { defaults: config.limits.default, max: config.limits.max, maxInputBytes: config.server.maxInputBytes },
  });
  const startedAt = Date.now();
  let serving = true;
  const core: AriCore = {
    tasks, registry, maxListPage: config.server.maxListPage,
    agentLimits,
    health: async (): Promise<HealthReport> => ({
      serving, version: VERSION, uptimeMs: Date.now() - startedAt,
      backends: await Promise.all([...runtimes.values()].map(async (r) => ({ health: await r.health(), ...scheduler.stats(r.name) }))),
    }),
  };
  let server: Awaited<ReturnType<typeof startGrpcServer>>;
  try {
    server = await startGrpcServer(core, config.server, security);
  } catch (e) {
    await release();
    throw e;
  }
  for (const r of runtimes.values()) {
    const h = await r.health();
    server.health.setStatus(`ari.${r.name}`, h.available ? 'SERVING' : 'NOT_SERVING');
  }
  const metricsServer = config.server.metrics ? await startMetricsServer(metrics, config.server.metrics, logger) : null;
  logger.info({ address: server.address, metrics: config.server.metrics, agents: config.agents.map((a) => a.id), daemon_id: daemonId, config: config.source }, 'ari serving');

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    serving = false;
    server.health.setStatus('', 'NOT_SERVING');
    logger.info({ inflight: tasks.inflightCount(), grace_ms: config.server.shutdownGraceMs }, 'shutting down');
    await tasks.shutdown(config.server.shutdownGraceMs);
    await server.stop(2_000);
    await metricsServer?.close();
    await release();
    logger.info('stopped');
  })());

  return { address: server.address, metricsAddress: config.server.metrics, daemonId, config, core, runtimes, stop };
}

/** `ari serve`: runs until SIGTERM/SIGINT, then drains and exits. */
export async function runDaemon(opts: { configPath?: string; listen?: string; metrics?: string }): Promise<void> {
  const logger = createLogger();
  const config = loadConfig(opts.configPath);
  if (opts.listen) config.server.listen = opts.listen;
  if (opts.metrics !== undefined) config.server.metrics = opts.metrics === '' ? null : opts.metrics;
  const handle = await startDaemon({ config, logger });
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      logger.info({ signal: sig }, 'signal received');
      process.removeAllListeners('SIGTERM');
      process.removeAllListeners('SIGINT');
      // A second signal forces the exit.
      const force = () => { logger.warn('forced exit'); process.exit(130); };
      process.once('SIGTERM', force);
      process.once('SIGINT', force);
      handle.stop().then(resolve, resolve);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}
