// Shared set-up for the native backend tests: real sandboxes, fixture agents, limits, and host-process inspection.
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NativeRuntime, type NativeRuntimeOptions } from '../../src/runtimes/native/native-runtime.js';
import type { ExecutionTask } from '../../src/contract/agent.js';
import type { NativeAgentSpec } from '../../src/runtimes/native/agent-spec.js';
import type { ExecutionHooks } from '../../src/runtimes/runtime.js';
import type { ExecutionResult } from '../../src/contract/outcome.js';
import type { Limits } from '../../src/contract/limits.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const MATH_BIN = resolve(REPO, 'fixtures/agents/math/native/math');
export const HOSTILE_BIN = resolve(REPO, 'fixtures/agents/native-hostile/hostile');
/** The containment probe (fixtures/agents/native): descriptors, socket families, chosen exit codes, idle spinning. */
export const CONTAIN_BIN = resolve(REPO, 'fixtures/agents/native/contain');
export const CONTAIN_MANIFEST = resolve(REPO, 'fixtures/agents/native/manifest.json');
const MANIFESTS: Record<string, string> = { [HOSTILE_BIN]: 'fixtures/agents/native-hostile/manifest.json', [CONTAIN_BIN]: CONTAIN_MANIFEST };

export const LIMITS: Limits = { timeoutMs: 5000, memoryBytes: 64 << 20, cpuMillis: 2000, fuel: 0, pids: 32, outputBytes: 64 * 1024 };

export function agent(id: string, bin: string, extra: Partial<NativeAgentSpec> = {}): NativeAgentSpec {
  const file = MANIFESTS[bin] ?? 'fixtures/agents/math/manifest.json';
  const manifest = JSON.parse(readFileSync(resolve(REPO, file), 'utf8'));
  return { id, runtime: 'native', manifest, limits: {}, env: {}, command: [bin], binds: [], pool: 0, baseDir: REPO, ...extra };
}
export const MATH = agent('math-native', MATH_BIN);
export const HOSTILE = agent('native-hostile', HOSTILE_BIN);

let seq = 0;
export function run(rt: NativeRuntime, a: NativeAgentSpec, capability: string, input: unknown, limits: Partial<Limits> = {}, signal = new AbortController().signal, hooks?: ExecutionHooks): Promise<ExecutionResult> {
  const task: ExecutionTask = { taskId: `t${process.pid}-${++seq}`, agentId: a.id, capability, input, limits: { ...LIMITS, ...limits } };
  return rt.execute(a, task, signal, hooks);
}

export const hostile = (rt: NativeRuntime, input: Record<string, unknown>, limits: Partial<Limits> = {}): Promise<ExecutionResult> => run(rt, HOSTILE, 'run', input, limits);

/**
 * A started runtime, or a failure naming what to install (tests need the real host features).
 * Each test file passes its own uid range: files run in parallel and must not share sandbox uids.
 */
export async function startRuntime(opts: NativeRuntimeOptions): Promise<NativeRuntime> {
  const rt = new NativeRuntime(opts);
  await rt.start();
  const h = await rt.health();
  if (!h.available) throw new Error(`native backend unavailable on this host: ${h.reason} (run scripts/setup-host.sh as root)`);
  return rt;
}

/** Host pids whose real uid lies in [start, start + count), zombies included. */
/** Live (not zombie) children of `ppid`. */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(parent) === ppid && state !== 'Z') out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export function processesOfUids(start: number, count: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${e}/status`, 'utf8'));
      if (m && Number(m[1]) >= start && Number(m[1]) < start + count) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Our cgroup subtrees (ari-<pid>.<start>) owned by the given pid, in every v1 hierarchy / the v2 tree. */
export function cgroupDirsOf(pid: number): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (e.name.startsWith(`ari-${pid}.`)) found.push(`${dir}/${e.name}`);
      else if (depth < 4) walk(`${dir}/${e.name}`, depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return found;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
