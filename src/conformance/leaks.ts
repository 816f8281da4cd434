// Leak rows: what the matrix left on the daemon's host (processes, cgroups, containers, temp dirs, workers, RSS).
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { LeakReport } from './case-types.js';
import { fmtBytes } from './expect.js';
import { ariCgroups, ariContainers, ariTempEntries, sandboxProcesses, type HostScope, type LabelledContainer } from './host-scan.js';

export interface LeakContext {
  /** False when the daemon runs on another host: host rows are then n-a. */
  hostChecks: boolean;
  scope: HostScope;
  dockerSelected: boolean;
  /** The daemon's resident set size now, or null when it cannot be read. */
  rss(): number | null;
  maxRssGrowthBytes: number;
  /** Live wasm worker threads and the configured pool size (in-process daemons only). */
  workers?: () => { live: number; configured: number };
}

export interface HostSnapshot {
  procs: Set<number>;
  cgroups: Set<string>;
  containers: LabelledContainer[] | Error;
  temps: Set<string>;
  rss: number | null;
}

export async function snapshotHost(ctx: LeakContext): Promise<HostSnapshot> {
  return {
    procs: new Set(sandboxProcesses(ctx.scope).map((p) => p.pid)),
    cgroups: new Set(ariCgroups(ctx.scope)),
    containers: ctx.dockerSelected ? await ariContainers(ctx.scope) : [],
    temps: new Set(ariTempEntries(ctx.scope)),
    rss: ctx.rss(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const na = (id: string, title: string, why: string): LeakReport => ({ id, title, result: 'NA', observed: 'n-a', detail: why });

function row(id: string, title: string, leaked: string[], what: string): LeakReport {
  if (leaked.length === 0) return { id, title, result: 'PASS', observed: `0 ${what}`, detail: '', values: { leaked: 0 } };
  return {
    id, title, result: 'FAIL', observed: `${leaked.length} ${what}`, values: { leaked: leaked.length },
    detail: leaked.slice(0, 8).join('; ') + (leaked.length > 8 ? `; … ${leaked.length - 8} more` : ''),
  };
}

function holdsProcesses(cgroupDir: string): boolean {
  try {
    return readFileSync(join(cgroupDir, 'cgroup.procs'), 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

/** What is new since `before`; teardown may lag the outcome, so it is given a few seconds to settle. */
async function newSince(before: HostSnapshot, ctx: LeakContext, settleMs: number) {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const now = await snapshotHost(ctx);
    const procs = sandboxProcesses(ctx.scope).filter((p) => !before.procs.has(p.pid)).map((p) => `pid ${p.pid} uid ${p.uid} ${p.comm}`);
    // The native runtime keeps a few empty spare cgroups ready while it runs (the after-stop row checks they go);
    // a leaked task cgroup is one that still holds processes.
    // A live labelled container's own cgroup (…/ari-docker/<parent>/<container id>) is the containers row's to judge.
    // That holds when docker is not selected too: the daemon may still keep pooled containers of its docker agents.
    const listed = ctx.dockerSelected ? now.containers : await ariContainers(ctx.scope);
    const live = Array.isArray(listed) ? listed.map((c) => c.id) : [];
    const cgroups = [...now.cgroups].filter((c) => !before.cgroups.has(c) && holdsProcesses(c) && !live.some((id) => basename(c).startsWith(id)));
    const temps = [...now.temps].filter((t) => !before.temps.has(t));
    let containers: string[] | Error = [];
    if (now.containers instanceof Error || before.containers instanceof Error) containers = now.containers instanceof Error ? now.containers : before.containers as Error;
    else if (now.containers.length > before.containers.length) {
      // Pools swap the containers they hand out; only more containers than before is a leak.
      const old = new Set(before.containers.map((c) => c.id));
      containers = now.containers.filter((c) => !old.has(c.id)).map((c) => `container ${c.id} ${c.state}`);
    }
    const clean = !procs.length && !cgroups.length && !temps.length && Array.isArray(containers) && !containers.length;
    if (clean || Date.now() >= deadline) return { procs, cgroups, temps, containers, rss: now.rss };
    await sleep(200);
  }
}

export async function leakRows(before: HostSnapshot, ctx: LeakContext, settleMs = 5000): Promise<LeakReport[]> {
  const rows: LeakReport[] = [];
  const remote = 'the daemon is on another host: run the suite on the daemon\'s host to check this';
  const now = await newSince(before, ctx, settleMs);
  if (!ctx.hostChecks) {
    rows.push(na('sandbox-processes', 'processes of sandbox uids', remote), na('cgroups', 'our cgroups (ari-*)', remote),
      na('containers', 'labelled containers', remote), na('temp-dirs', 'temp dirs (ari*)', remote));
  } else {
    rows.push(row('sandbox-processes', `processes of sandbox uids ${ctx.scope.uidStart}+${ctx.scope.uidCount}`, now.procs, 'left'));
    rows.push(row('cgroups', 'our cgroups (/sys/fs/cgroup/*/ari-*)', now.cgroups, 'new'));
    if (!ctx.dockerSelected) rows.push(na('containers', 'labelled containers (ari.daemon)', 'docker not selected'));
    else if (now.containers instanceof Error) rows.push({ id: 'containers', title: 'labelled containers (ari.daemon)', result: 'FAIL', observed: 'unknown', detail: now.containers.message });
    else rows.push(row('containers', 'labelled containers (ari.daemon)', now.containers, 'new'));
    rows.push(row('temp-dirs', ctx.scope.privateTmp ? `temp dir ${ctx.scope.privateTmp}` : 'temp dirs (ari*)', now.temps, 'new'));
  }
  if (ctx.workers) {
    const w = ctx.workers();
    rows.push(w.live <= w.configured
      ? { id: 'worker-threads', title: 'wasm worker threads', result: 'PASS', observed: `${w.live}/${w.configured}`, detail: '', values: { live: w.live, configured: w.configured } }
      : { id: 'worker-threads', title: 'wasm worker threads', result: 'FAIL', observed: `${w.live}/${w.configured}`, detail: `${w.live} live workers, the pool has ${w.configured}`, values: { live: w.live, configured: w.configured } });
  } else {
    rows.push(na('worker-threads', 'wasm worker threads', 'only visible with an in-process daemon'));
  }
  if (before.rss === null || now.rss === null) {
    rows.push(na('rss-growth', 'daemon RSS growth', 'daemon RSS unknown: pass --daemon-pid for a daemon on this host'));
  } else {
    const growth = now.rss - before.rss;
    const values = { rss_before_bytes: before.rss, rss_after_bytes: now.rss, growth_bytes: growth, max_growth_bytes: ctx.maxRssGrowthBytes };
    const observed = `${growth < 0 ? '-' : '+'}${fmtBytes(Math.abs(growth))}`;
    rows.push(growth <= ctx.maxRssGrowthBytes
      ? { id: 'rss-growth', title: 'daemon RSS growth', result: 'PASS', observed, detail: `${fmtBytes(before.rss)} → ${fmtBytes(now.rss)}`, values }
      : { id: 'rss-growth', title: 'daemon RSS growth', result: 'FAIL', observed, detail: `grew ${fmtBytes(growth)} (${fmtBytes(before.rss)} → ${fmtBytes(now.rss)}), above the ${fmtBytes(ctx.maxRssGrowthBytes)} allowance`, values });
  }
  return rows;
}

/** In-process only: after the daemon stopped, nothing of its run may remain. */
export async function afterStopRow(scope: HostScope, dockerSelected: boolean, liveWorkers: () => number): Promise<LeakReport> {
  const left: string[] = [];
  await sleep(500);
  // A worker thread that loaded preview2-shim ends its I/O helper thread first: on a loaded host that takes seconds.
  for (let i = 0; i < 90 && liveWorkers() > 0; i++) await sleep(50);
  left.push(...sandboxProcesses(scope).map((p) => `pid ${p.pid} uid ${p.uid} ${p.comm}`));
  // The daemon's own native tree (ari-<pid>.*) must be gone; shared bases like ari-docker may stay.
  left.push(...ariCgroups(scope).filter((c) => c.includes(`ari-${scope.daemonPid}.`)));
  if (dockerSelected) {
    const c = await ariContainers(scope);
    if (c instanceof Error) left.push(c.message);
    else left.push(...c.map((x) => `container ${x.id} ${x.state}`));
  }
  if (liveWorkers() > 0) left.push(`${liveWorkers()} wasm worker threads`);
  return row('after-stop', 'after daemon stop: nothing of its run remains', left, 'left');
}
