// The composition root: config → runtimes → agents → task service → gRPC + metrics; signals drive shutdown.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from './config/config-types.js';
import { loadConfig } from './config/load-config.js';
import { AgentRegistry } from './core/agent-registry.js';
import type { AriCore, HealthReport } from './core/ari-core.js';
import type { Journal } from './core/journal.js';
import { openStore } from './store/open-store.js';
import { FleetMember } from './core/fleet-member.js';
import type { FleetStore } from './core/fleet-store.js';
import { resolveLimits } from './core/limits-resolver.js';
import { Scheduler } from './core/scheduler.js';
import { TaskService } from './core/task-service.js';
import { TaskEgress } from './core/task-egress.js';
import { createLogger, infoLineOf } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { parseHostPort, startMetricsServer } from './observability/metrics-server.js';
import { startBackendMonitor } from './observability/backend-monitor.js';
import { taskObserver } from './observability/task-observer.js';
import { startTracing, tracingSettings } from './observability/tracing.js';
import { tracingInterceptor } from './server/rpc-tracing.js';
import { startHealthListener } from './server/health-listener.js';
import type { AgentSpec, RuntimeName } from './contract/agent.js';
import type { Limits } from './contract/limits.js';
import { unenforcedLimits, unenforcedLimitsMessage } from './runtimes/backend.js';
import { createRuntimes, RUNTIME_NAMES } from './runtimes/backends.js';
import { AgentLoadError, type Runtime } from './runtimes/runtime.js';
import { securityFor } from './server/auth.js';
import { startGrpcServer } from './server/grpc-server.js';
import { listenError, parseListen, probeListen } from './server/listen-address.js';

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
    // Config refused what the backend never enforces; this host's runtime may enforce less (Docker without task cgroups).
    const unenforced = unenforcedLimits(agent.limits, rt.enforces);
    if (unenforced.length) throw new AgentLoadError(agent.id, `[agents.limits] ${unenforcedLimitsMessage(agent.runtime, unenforced, ' on this host')}`);
    await rt.prepare(agent); // an AgentLoadError fails startup: a bad agent is a config error, loudly
    logger.info({ agent_id: agent.id, runtime: agent.runtime }, 'agent ready');
  }));
  return broken;
}

export async function startDaemon(opts: StartOptions): Promise<DaemonHandle> {
  const { config } = opts;
  const logger = opts.logger ?? createLogger();
  const daemonId = `${process.pid.toString(36)}-${randomBytes(4).toString('hex')}`;
  const security = securityFor(config.server.listen, config.auth, config.server.handshakeTimeoutMs);
  for (const w of security.warnings) logger.warn(w);
  const registry = new AgentRegistry(config.agents);
  // A listener that cannot bind fails the start before any backend or journal is opened (and again at the real bind).
  await Promise.all([['gRPC', config.server.listen], ['metrics', config.server.metrics], ['health', config.server.healthListen]]
    .filter((l): l is [string, string] => !!l[1]).map(([what, address]) => probeListen(what, address)));
  // Opened first: a data directory locked by another daemon must fail before any backend starts.
  const journal = opts.journal ?? await openStore(config.storage, config.source, logger);
  const interrupted = await journal.recoverInterrupted(Date.now());
  if (interrupted.length) {
    logger.warn({ count: interrupted.length, task_ids: interrupted.slice(0, 20).map((r) => r.taskId) }, journal.fleet ? 'tasks this daemon left running recorded as FAILED DAEMON_LOST' : 'tasks of the previous daemon recorded as FAILED DAEMON_RESTARTED');
  }
  // Only what the agent's backend enforces (read when called: after the runtimes exist).
  const agentLimits = (a: AgentSpec): Limits => resolveLimits(config.limits.default, config.limits.max, a.limits, {}, runtimes.get(a.runtime));
  const runtimes = await createRuntimes(config.backends, { logger, daemonId, agentLimits, ceiling: config.limits.max });
  await Promise.all([...runtimes.values()].map((r) => r.start()));
  // Whatever fails from here on (a bad agent, a port in use) must not leave pools, workers or the journal lock.
  const release = async () => {
    await Promise.allSettled([...runtimes.values()].map((r) => r.close()));
    await journal.close();
  };
  let broken: Map<string, string>;
  try {
    broken = await prepareAgents(config.agents, runtimes, logger);
  } catch (e) {
    await release();
    throw e;
  }
  const metrics = new Metrics({ runtimes: RUNTIME_NAMES, version: VERSION, buckets: config.server.durationBuckets, egressAgents: config.agents.filter((a) => a.network).map((a) => a.id) });
  // The proxy itself is built on the first task that opens a session: no network policy, no proxy.
  const egress = new TaskEgress({ onReport: (agent, usage) => metrics.egress(agent, usage) });
  const tracing = await startTracing(tracingSettings(config.tracing), { version: VERSION, instanceId: daemonId, logger });
  const scheduler = new Scheduler(config.backends);
  metrics.readQueues((rt) => scheduler.stats(rt as RuntimeName));
  const tasks = new TaskService({
    registry, scheduler, journal, logger, infoLine: infoLineOf(logger), egress, observer: taskObserver(metrics, tracing?.tasks ?? null),
    runtimeFor: (n) => runtimes.get(n)!,
    unavailableReason: (a) => broken.get(a.id),
    policy: { defaults: config.limits.default, max: config.limits.max, maxInputBytes: config.server.maxInputBytes, enforces: (n) => runtimes.get(n)!.enforces },
  });
  const startedAt = Date.now();
  let serving = true;
  let fleet: FleetMember | undefined;
  const core: AriCore = {
    tasks, registry, maxListPage: config.server.maxListPage,
    agentLimits,
    health: async (): Promise<HealthReport> => ({
      serving, version: VERSION, uptimeMs: Date.now() - startedAt,
      backends: await Promise.all([...runtimes.values()].map(async (r) => ({ health: await r.health(), enforces: r.enforces, ...scheduler.stats(r.name) }))),
      ...(fleet ? { fleet: await fleet.health().catch(() => undefined) } : {}),
    }),
  };
  // Every listener binds, or the whole start fails naming the listener and its address, with nothing left listening.
  const opened: (() => Promise<void>)[] = [];
  const bind = async <T>(what: string, address: string, start: () => Promise<T>, close: (t: T) => Promise<void>): Promise<T> => {
    const t = await start().catch((e: unknown) => { throw (e as Error).message?.startsWith(`${what} listener `) ? e : listenError(what, address, e); });
    opened.push(() => close(t));
    return t;
  };
  let server: Awaited<ReturnType<typeof startGrpcServer>>;
  let monitor: Awaited<ReturnType<typeof startBackendMonitor>>;
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | null;
  let healthListener: Awaited<ReturnType<typeof startHealthListener>> | null;
  try {
    // Tracing first, so refused (unauthenticated) calls get their span too.
    const secured = tracing ? { ...security, interceptors: [tracingInterceptor(tracing.rpc), ...security.interceptors] } : security;
    server = await bind('gRPC', config.server.listen, () => startGrpcServer(core, config.server, secured, metrics), (s) => s.stop(0));
    ownListener(egress, server.address);
    if (journal.fleet) fleet = await joinFleet(journal.fleet, tasks, scheduler, config, broken, server.address, logger, opened, metrics);
    monitor = await startBackendMonitor([...runtimes.values()], config.server.healthIntervalMs, logger, (h) => {
      server.health.setStatus(`ari.${h.runtime}`, h.available ? 'SERVING' : 'NOT_SERVING');
      metrics.setBackendUp(h.runtime, h.available);
      // Agents skipped while their backend was down load once it is back, so SERVING means they can run.
      if (h.available) {
        for (const a of config.agents.filter((x) => x.runtime === h.runtime && broken.has(x.id))) {
          runtimes.get(a.runtime)!.prepare(a).then(
            () => { broken.delete(a.id); logger.info({ agent_id: a.id, runtime: a.runtime }, 'agent ready'); },
            (err) => logger.warn({ err, agent_id: a.id, runtime: a.runtime }, 'agent still cannot load'));
        }
      }
    });
    opened.push(async () => monitor.stop());
    const readiness = { ready: () => ({ ready: serving, lines: monitor.current().map((h) => `${h.runtime}: ${h.available ? 'available' : `unavailable: ${h.reason}`}`) }) };
    const m = config.server.metrics;
    metricsServer = m ? await bind('metrics', m, () => startMetricsServer(metrics, m, logger, readiness), (x) => x.close()) : null;
    if (m && metricsServer) egress.addOwnListener({ host: parseHostPort(m).host ?? '', port: metricsServer.port });
    const hl = config.server.healthListen;
    healthListener = hl ? await bind('health', hl, () => startHealthListener(server.health, hl, config.server), (x) => x.stop()) : null;
    if (healthListener) ownListener(egress, healthListener.address);
  } catch (e) {
    for (const close of opened.reverse()) await close().catch(() => {});
    await egress.close();
    await tracing?.shutdown().catch(() => {});
    await release();
    throw e;
  }
  if (healthListener) logger.info({ listen: healthListener.address }, 'plaintext health-only listener');
  logger.info({ address: server.address, metrics: config.server.metrics, agents: config.agents.map((a) => a.id), daemon_id: daemonId, config: config.source }, 'ari serving');

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    serving = false;
    // Every service NOT_SERVING before draining, so balancers and probes stop sending work at once.
    monitor.stop();
    for (const svc of ['', 'ari.v1.AgentRuntime', ...RUNTIME_NAMES.map((n) => `ari.${n}`)]) server.health.setStatus(svc, 'NOT_SERVING');
    logger.info({ inflight: tasks.inflightCount(), grace_ms: config.server.shutdownGraceMs }, 'shutting down');
    await fleet?.stop(); // claim nothing more; what runs here finishes within the grace
    await tasks.shutdown(config.server.shutdownGraceMs);
    await egress.close(); // after the drain: each task closed its own session; this ends any left
    await server.stop(2_000);
    await metricsServer?.close();
    await healthListener?.stop();
    await tracing?.shutdown();
    await release();
    logger.info('stopped');
  })());

  // The bound address (the real port when 0 was asked), so tests and tools can scrape it.
  const metricsAddress = metricsServer && config.server.metrics ? config.server.metrics.replace(/:0$/, `:${metricsServer.port}`) : null;
  return { address: server.address, metricsAddress, daemonId, config, core, runtimes, stop };
}

/** Registers in the fleet sharing the store (refused on an overlapping native uid range) and starts claiming. */
async function joinFleet(store: FleetStore, tasks: TaskService, scheduler: Scheduler, config: Config, broken: Map<string, string>,
  address: string, logger: Logger, opened: (() => Promise<void>)[], metrics: Metrics): Promise<FleetMember> {
  const agents = config.agents.filter((a) => !broken.has(a.id));
  const native = config.backends.native;
  const uidRange: [number, number] = agents.some((a) => a.runtime === 'native') ? [native.uidStart, native.uidCount] : [0, 0];
  const member = new FleetMember({
    store, tasks, scheduler, agents, address, uidRange, pollMs: config.storage.pollMs, logger,
    onFacts: (h) => metrics.setFleet(Object.fromEntries(RUNTIME_NAMES.map((r) => [r, h.queueDepth[r] ?? 0])), h.members.filter((m) => m.live).length),
  });
  await member.start();
  opened.push(() => member.stop());
  logger.info({ fleet_daemon_id: store.daemonId, lease_ms: store.leaseMs, uids: uidRange }, 'joined the fleet');
  return member;
}

/** A bound gRPC/health address (host:port with the real port; a unix socket is no egress destination anyway). */
function ownListener(egress: TaskEgress, address: string): void {
  const target = parseListen(address);
  if ('host' in target) egress.addOwnListener(target);
}

/** Past the shutdown grace, how long the rest of the drain (server, listeners, backends) may take before a forced exit. */
const DRAIN_BOUND_MS = 10_000;

/**
 * `ari serve`: runs until SIGTERM/SIGINT, then drains and exits; a second signal forces. The handlers are installed
 * before anything starts and stay installed: removing them would let a library's exit hook (execa's signal-exit)
 * re-raise the first signal and turn it into a forced exit.
 */
export async function runDaemon(opts: { configPath?: string; listen?: string; metrics?: string; logFormat?: 'pretty' | 'json' }): Promise<void> {
  const logger = createLogger(undefined, opts.logFormat);
  logger.info({ pid: process.pid, config: opts.configPath ?? null }, 'ari starting');
  let signalled = false;
  let wake = () => {};
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ signal: sig }, 'second signal: forced exit');
      process.exit(130);
    }
    signalled = true;
    logger.info({ signal: sig }, 'signal received');
    wake();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Whatever a backend leaves behind must not keep a stopped (or failed) daemon alive.
  const exitSoon = () => setTimeout(() => process.exit(), 1_000).unref();
  let handle: DaemonHandle;
  try {
    const config = loadConfig(opts.configPath);
    if (opts.listen) config.server.listen = opts.listen;
    if (opts.metrics !== undefined) config.server.metrics = opts.metrics === '' ? null : opts.metrics;
    handle = await startDaemon({ config, logger });
  } catch (e) {
    exitSoon();
    throw e;
  }
  if (!signalled) await new Promise<void>((resolve) => { wake = resolve; });
  const bound = setTimeout(() => {
    logger.error({ bound_ms: handle.config.server.shutdownGraceMs + DRAIN_BOUND_MS }, 'drain did not finish in time: forced exit');
    process.exit(1);
  }, handle.config.server.shutdownGraceMs + DRAIN_BOUND_MS);
  await handle.stop();
  clearTimeout(bound);
  exitSoon();
}
