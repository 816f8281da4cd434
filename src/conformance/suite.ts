// One conformance run end to end: pick or start the daemon, plant the probes, run the matrix, check for leaks.
import { randomBytes } from 'node:crypto';
import { connectAri, type ConnectOptions } from '../client/ari-client.js';
import type { Logger } from '../observability/logger.js';
import { KILL_BOUND_MS, type Backend, type CaseSpec, type LeakReport, type SuiteReport } from './case-types.js';
import { CASES } from './cases.js';
import { ENV_SECRET_NAME, HostProbe } from './host-probe.js';
import { rssOf, type HostScope } from './host-scan.js';
import { afterStopRow, leakRows, snapshotHost, type LeakContext } from './leaks.js';
import { CONFORMANCE_CONFIG, startLocalDaemon, type LocalDaemon } from './local-daemon.js';
import { MatrixRunner } from './runner.js';
import { suitePassed } from './summary.js';

export interface SuiteOptions {
  /** A running daemon; without it the suite starts its own from `configPath`. */
  target?: string;
  configPath?: string;
  connect?: ConnectOptions;
  backends: readonly Backend[];
  /** Only these case ids (default: all). */
  caseIds?: readonly string[];
  taskBudgetMs?: number;
  /** Pass bounds of kill overshoot per backend (default KILL_BOUND_MS). */
  killBoundMs?: Partial<Record<Backend, number>>;
  /** Sandbox uid range of a remote daemon (in-process: read from its config). */
  sandboxUidStart?: number;
  sandboxUidCount?: number;
  /** A remote daemon's pid on this host, for the RSS row. */
  daemonPid?: number;
  /** Whether the daemon shares this host (default: loopback or unix targets do). */
  hostChecks?: boolean;
  maxRssGrowthBytes?: number;
  progress?: (line: string, final?: boolean) => void;
  logger?: Logger;
}

export const DEFAULT_TASK_BUDGET_MS = 20_000;
export const DEFAULT_MAX_RSS_GROWTH = 192 * 1024 ** 2;
const DEFAULT_UID_START = 2_000_000;
const DEFAULT_UID_COUNT = 64;

export function isLocalTarget(target: string): boolean {
  return /^(unix:|127\.|localhost(:|$)|\[::1\]|::1)/.test(target);
}

export function selectCases(ids: readonly string[] | undefined): readonly CaseSpec[] {
  if (!ids?.length) return CASES;
  const unknown = ids.filter((id) => !CASES.some((c) => c.id === id));
  if (unknown.length) throw new Error(`unknown case(s) ${unknown.join(', ')}; known: ${CASES.map((c) => c.id).join(', ')}`);
  return CASES.filter((c) => ids.includes(c.id));
}

export async function runSuite(opts: SuiteOptions): Promise<SuiteReport> {
  const started = Date.now();
  const cases = selectCases(opts.caseIds);
  const secret = process.env[ENV_SECRET_NAME] || `ari-env-secret-${randomBytes(12).toString('hex')}`;
  let local: LocalDaemon | undefined;
  if (!opts.target) local = await startLocalDaemon(opts.configPath ?? CONFORMANCE_CONFIG, secret, opts.logger);
  const target = local?.handle.address ?? opts.target!;
  const hostChecks = opts.hostChecks ?? (local ? true : isLocalTarget(target));
  const client = connectAri(target, opts.connect);
  let probe: HostProbe | undefined;
  try {
    await client.waitForReady(10_000);
    const native = local?.handle.config.backends.native;
    const scope: HostScope = {
      uidStart: native?.uidStart ?? opts.sandboxUidStart ?? DEFAULT_UID_START,
      uidCount: native?.uidCount ?? opts.sandboxUidCount ?? DEFAULT_UID_COUNT,
      daemonPid: local ? process.pid : opts.daemonPid,
      daemonId: local?.handle.daemonId,
      privateTmp: local?.tmp,
    };
    probe = await HostProbe.open({
      scope,
      hostChecks,
      // A remote daemon's secret is only known when the operator exported the same value to both.
      envSecret: local || process.env[ENV_SECRET_NAME] ? secret : undefined,
    });
    const dockerSelected = opts.backends.includes('docker');
    const leakCtx: LeakContext = {
      hostChecks, scope, dockerSelected,
      rss: () => (local ? process.memoryUsage().rss : opts.daemonPid ? rssOf(opts.daemonPid) : null),
      maxRssGrowthBytes: opts.maxRssGrowthBytes ?? DEFAULT_MAX_RSS_GROWTH,
      workers: local ? () => ({ live: local!.wasmWorkers(), configured: local!.handle.config.backends.wasm.workers }) : undefined,
    };
    // Each wasm worker loads every component agent in the background after start: the RSS baseline waits for it.
    await local?.warmedUp();
    const before = await snapshotHost(leakCtx);
    const matrix = await new MatrixRunner({
      client, probe, cases, backends: opts.backends,
      taskBudgetMs: opts.taskBudgetMs ?? DEFAULT_TASK_BUDGET_MS,
      killBoundMs: { ...KILL_BOUND_MS, ...opts.killBoundMs },
      progress: opts.progress ?? (() => {}),
    }).run();
    opts.progress?.('checking for leaks …');
    const leaks: LeakReport[] = await leakRows(before, leakCtx);
    if (local) {
      const stopped = local;
      client.close();
      await stopped.stop();
      leaks.push(await afterStopRow(scope, dockerSelected, () => stopped.wasmWorkers()));
      local = undefined;
    }
    const partial = { cases: matrix.cases, leaks, backends: matrix.backends };
    return {
      target: opts.target ?? target, inProcess: !opts.target, startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started, ...partial, passed: suitePassed(partial),
    };
  } finally {
    client.close();
    await probe?.close();
    await local?.stop();
  }
}
