// A shell agent for the native egress tests: busybox sh runs the script its task carries, with the host's curl and the test CA visible.
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { testPki } from '../egress/egress-harness.js';
import { agent, LIMITS } from './native-helpers.js';
import type { ExecutionResult } from '../../src/contract/outcome.js';
import type { Limits } from '../../src/contract/limits.js';
import type { NativeAgentSpec } from '../../src/runtimes/native/agent-spec.js';
import type { NativeRuntime } from '../../src/runtimes/native/native-runtime.js';
import { LimitAbort } from '../../src/contract/abort-reason.js';
import type { EgressReport } from '../../src/egress/egress-proxy.js';
import type { EgressBudgets } from '../../src/egress/session.js';
import type { testProxy } from '../egress/egress-grant.js';

const BUSYBOX = '/usr/bin/busybox';
export const CURL = '/usr/bin/curl';
/** curl is dynamic: its loader and libraries (Debian, merged /usr). */
const CURL_BINDS = [CURL, '/lib64', '/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu'];

/**
 * Reads the task document, runs input.sh (base64, so no JSON escaping in sh) and answers
 * {"output":{"rc":N,"out":BASE64}} with the script's exit code and its stdout+stderr.
 */
const RUNNER = [
  'doc=$(cat)',
  'p=${doc#*\'"sh":"\'}',
  'p=${p%%\'"\'*}',
  'echo "$p" | base64 -d > /tmp/p.sh',
  'out=$(sh /tmp/p.sh 2>&1)',
  'rc=$?',
  'printf \'{"output":{"rc":%d,"out":"%s"}}\' "$rc" "$(printf %s "$out" | base64 -w0)"',
].join('; ');

let caDir: string | undefined;
/** The test CA where a sandbox uid can read it (the PKI's own directory is 0700). */
export function sandboxCa(): string {
  if (!caDir) {
    caDir = mkdtempSync(join(tmpdir(), 'ari-native-egress-ca-'));
    chmodSync(caDir, 0o755);
    copyFileSync(testPki().ca, join(caDir, 'ca.pem'));
    chmodSync(join(caDir, 'ca.pem'), 0o644);
  }
  return join(caDir, 'ca.pem');
}

export function removeSandboxCa(): void {
  if (caDir) rmSync(caDir, { recursive: true, force: true });
  caDir = undefined;
}

/** `beforeTask`: shell the agent runs as soon as it starts, before it reads its task (a pooled one: while idle). */
export function shellAgent(id: string, allow: string[] | undefined, extra: Partial<NativeAgentSpec> = {}, beforeTask?: string): NativeAgentSpec {
  const binds = [...CURL_BINDS, dirname(sandboxCa())];
  const command = [BUSYBOX, 'sh', '-c', beforeTask ? `${beforeTask}; ${RUNNER}` : RUNNER];
  return agent(id, BUSYBOX, { command, binds, ...(allow ? { network: { allow } } : {}), ...extra });
}

/** Generous limits: busybox and several curl runs on a loaded 2-core host. */
export const NET_LIMITS: Limits = { ...LIMITS, timeoutMs: 30_000, cpuMillis: 10_000, memoryBytes: 128 << 20, egressBytes: 64 << 20, egressConnections: 64 };

export const script = (sh: string): { sh: string } => ({ sh: Buffer.from(sh).toString('base64') });

/** The script's exit code and output, or a failure naming the result when the agent did not answer. */
export function shellOutput(r: ExecutionResult): { rc: number; out: string } {
  const o = r.output as { rc?: number; out?: string } | undefined;
  if (r.status !== 'COMPLETED' || typeof o?.rc !== 'number') throw new Error(`agent did not answer: ${r.status} ${r.error?.code}: ${r.error?.message}`);
  return { rc: o.rc, out: Buffer.from(o.out ?? '', 'base64').toString() };
}

/** One curl through the proxy env, printing a marker line `<tag> code=<http code> rc=<curl exit>` after its output. */
export function curlLine(tag: string, args: string): string {
  return `${CURL} -sS --max-time 10 -o /dev/null -w '${tag} code=%{http_code}' ${args}; echo " rc=$?"`;
}

export interface NetRun { result: ExecutionResult; report: EgressReport; startedAt: number; endedAt: number; limitAt?: number }
export type RunNet = (a: NativeAgentSpec, sh: string, allow: string[] | null, budgets?: EgressBudgets, limits?: Partial<Limits>) => Promise<NetRun>;

/**
 * Runs one task of `a` executing `sh`, with a real proxy session as its grant (allow null: no grant). A crossed
 * budget aborts the task with a LimitAbort, as the task service does; the session is closed after execute().
 */
export function netRunner(runtime: () => NativeRuntime, proxy: () => ReturnType<typeof testProxy>): RunNet {
  let seq = 0;
  return async (a, sh, allow, budgets = {}, limits = {}) => {
    const rt = runtime();
    const px = proxy();
    const taskId = `ne${process.pid}-${++seq}`;
    const g = allow ? px.grant(taskId, allow, budgets) : undefined;
    const ac = new AbortController();
    const run: Partial<NetRun> = {};
    px.onLimit.set(taskId, (which) => {
      run.limitAt = performance.now();
      ac.abort(new LimitAbort(which === 'egress_bytes' ? 'EGRESS_BYTES' : 'EGRESS_CONNECTIONS', `${which} budget exceeded`));
    });
    run.startedAt = performance.now();
    const task = { taskId, agentId: a.id, capability: 'run', input: script(sh), limits: { ...NET_LIMITS, ...limits } };
    run.result = await rt.execute(a, task, ac.signal, g ? { egress: g.grant } : {});
    run.endedAt = performance.now();
    run.report = (await g?.close()) ?? { usage: { egressBytes: 0, egressConnections: 0, bytesUp: 0, bytesDown: 0, denied: 0 }, records: [], dropped: 0 };
    px.onLimit.delete(taskId);
    return run as NetRun;
  };
}
