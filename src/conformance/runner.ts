// Runs the matrix against one ARI endpoint: each case on each selected backend, a good task beside each hostile one.
import { randomBytes, randomInt } from 'node:crypto';
import { AriRpcError, type AriClient } from '../client/ari-client.js';
import type { WireHealthStatus, WireTaskResponse } from '../server/wire-types.js';
import {
  BACKENDS, KILL_BOUND_MS, isNotApplicable,
  type Backend, type BackendReport, type CaseCall, type CaseReport, type CaseSpec, type CellReport, type GoodTaskResult, type Observation,
} from './case-types.js';
import { GOOD_AGENT } from './cases.js';
import type { HostProbe } from './host-probe.js';
import { sandboxProcesses, type HostScope } from './host-scan.js';

export interface RunnerOptions {
  client: AriClient;
  probe: HostProbe;
  cases: readonly CaseSpec[];
  /** Backends asked for; the others are left out of the report. */
  backends: readonly Backend[];
  /** Longest the suite waits for one task's outcome before it calls the limit unenforced. */
  taskBudgetMs: number;
  /** Pass bound of each backend's kills. */
  killBoundMs: Record<Backend, number>;
  progress(line: string, final?: boolean): void;
}

export interface MatrixResult { backends: BackendReport[]; cases: CaseReport[] }

/** The good task starts this long after the hostile one, so it runs while the hostile one is at its worst. */
const GOOD_DELAY_MS = 150;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parseOutput(r: WireTaskResponse | null): unknown {
  if (!r?.output?.length) return undefined;
  try {
    return JSON.parse(Buffer.from(r.output).toString('utf8'));
  } catch {
    return undefined;
  }
}

export class MatrixRunner {
  constructor(private readonly o: RunnerOptions) {}

  async run(): Promise<MatrixResult> {
    const health = await this.o.client.getHealth({ deadlineMs: 15_000 });
    const hosted = new Set((await this.o.client.listAgents({ deadlineMs: 15_000 })).map((a) => a.id));
    const backends = backendReports(health, this.o.backends, this.o.killBoundMs);
    const selected = backends.filter((b) => b.selected);
    const total = this.o.cases.length * selected.length;
    let done = 0;
    const cases: CaseReport[] = [];
    for (const spec of this.o.cases) {
      const report: CaseReport = { id: spec.id, title: spec.title, cells: {} };
      for (const b of selected) {
        done++;
        this.o.progress(`[${done}/${total}] ${b.name} ${spec.id} …`);
        const cell = await this.cell(spec, b, hosted);
        report.cells[b.name] = cell;
        this.o.progress(`[${done}/${total}] ${b.name} ${spec.id}: ${cell.result} ${cell.observed}`, true);
      }
      cases.push(report);
    }
    return { backends, cases };
  }

  private async cell(spec: CaseSpec, b: BackendReport, hosted: Set<string>): Promise<CellReport> {
    const call = spec.calls[b.name];
    if (call === undefined) return { result: 'NA', observed: 'n-a', detail: 'no conformance agent for this backend' };
    if (isNotApplicable(call)) return { result: 'NA', observed: 'n-a', detail: call.na };
    if (!b.available) return { result: 'UNAVAILABLE', observed: 'unavailable', detail: b.reason };
    const wanted = [call.agent, ...(spec.concurrentGood === false ? [] : [GOOD_AGENT(b.name)])].filter((a) => !hosted.has(a));
    if (wanted.length) {
      const file = wanted.some((a) => a.includes('-egress')) ? 'egress-agents.toml"] and the [network] ceiling that file names' : 'conformance-agents.toml"]';
      return { result: 'NOT_CONFIGURED', observed: 'not configured', agent: call.agent, detail: `the target does not host ${wanted.join(', ')}: add include = ["<ari>/fixtures/conformance/${file} to its config` };
    }
    try {
      return await this.runCell(spec, b.name, call);
    } catch (e) {
      return { result: 'FAIL', observed: 'error', agent: call.agent, detail: `the suite failed to run the case: ${(e as Error).message}` };
    }
  }

  private async runCell(spec: CaseSpec, backend: Backend, call: CaseCall): Promise<CellReport> {
    const { probe } = this.o;
    probe.reset();
    await spec.prepare?.(probe);
    const sampler = backend === 'native' && probe.hostChecks ? new ProcessSampler(probe.options.scope) : null;
    const hostile = this.execute(backend, call.agent, call.capability ?? 'run', call.input?.(probe) ?? {}, call.cancelAfterMs);
    let good: Promise<GoodTaskResult> | undefined;
    if (spec.concurrentGood !== false) {
      await Promise.race([sleep(GOOD_DELAY_MS), hostile]);
      good = this.goodTask(backend);
    }
    const obs = await hostile;
    const goodResult = await good;
    obs.peakSandboxProcs = sampler?.stop();
    const v = await spec.expect(obs, probe);
    const r = obs.response;
    const pass = v.pass && (goodResult?.pass ?? true);
    const detail = [v.detail, goodResult && !goodResult.pass ? `concurrent good task: ${goodResult.detail}` : undefined].filter(Boolean).join('; ');
    return {
      result: pass ? 'PASS' : 'FAIL', observed: v.pass && !pass ? `${v.observed}, good task failed` : v.observed, detail,
      agent: call.agent, status: r?.status, errorCode: r?.error?.code || undefined, elapsedMs: obs.elapsedMs,
      usage: r?.usage ?? undefined, values: v.values, good: goodResult,
    };
  }

  /** One task to its outcome; past the budget it is cancelled and reported as having no outcome. */
  private async execute(backend: Backend, agent: string, capability: string, input: unknown, cancelAfterMs?: number): Promise<Observation> {
    const taskId = `conformance-${agent}-${randomBytes(6).toString('hex')}`;
    const started = Date.now();
    let response: WireTaskResponse | null = null;
    let failure: string | undefined;
    let cancelSentAt: number | undefined;
    const cancel = cancelAfterMs === undefined ? undefined : setTimeout(() => {
      cancelSentAt = Date.now();
      this.o.client.cancelTask(taskId, { deadlineMs: 10_000 }).catch(() => undefined);
    }, cancelAfterMs);
    try {
      response = await this.o.client.executeTask(
        { task_id: taskId, agent_id: agent, capability, input: JSON.stringify(input) }, { deadlineMs: this.o.taskBudgetMs });
    } catch (e) {
      if (e instanceof AriRpcError && e.code === 'DEADLINE_EXCEEDED') {
        failure = `no outcome within ${this.o.taskBudgetMs} ms: the daemon did not stop the task`;
        await this.o.client.cancelTask(taskId, { deadlineMs: 10_000 }).catch(() => undefined);
      } else {
        failure = e instanceof AriRpcError ? `${e.code}: ${e.details}` : (e as Error).message;
      }
    }
    clearTimeout(cancel);
    const ended = Date.now();
    return {
      backend, agent, taskId, response, failure, output: parseOutput(response), elapsedMs: ended - started, killBoundMs: this.o.killBoundMs[backend],
      ...(cancelSentAt !== undefined ? { cancelLatencyMs: ended - cancelSentAt } : {}),
    };
  }

  private async goodTask(backend: Backend): Promise<GoodTaskResult> {
    const a = randomInt(2, 10_000), b = randomInt(2, 10_000);
    const o = await this.execute(backend, GOOD_AGENT(backend), 'arithmetic', { operation: 'multiply', operands: [a, b] });
    const status = o.response?.status ?? 'none';
    const got = (o.output as { result?: unknown } | undefined)?.result;
    if (status === 'COMPLETED' && got === a * b) return { pass: true, status, detail: `${a}*${b} = ${got}`, elapsedMs: o.elapsedMs };
    const why = o.response ? `${status} ${o.response.error?.message ?? JSON.stringify(o.output)}` : o.failure ?? 'no outcome';
    return { pass: false, status, detail: `${a}*${b}: expected ${a * b}, got ${why}`, elapsedMs: o.elapsedMs };
  }
}

/** Health per backend, with the reason of any that is unavailable. */
export function backendReports(health: WireHealthStatus, wanted: readonly Backend[], killBoundMs: Record<Backend, number> = KILL_BOUND_MS): BackendReport[] {
  return BACKENDS.map((name) => {
    const h = health.backends.find((x) => x.runtime === name);
    return {
      name, selected: wanted.includes(name), killBoundMs: killBoundMs[name],
      available: h?.available ?? false,
      reason: h ? h.reason : 'the target reports no such backend',
    };
  });
}

/** Samples how many sandbox-uid processes exist at once, while a task runs. */
class ProcessSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(scope: HostScope) {
    const sample = () => { this.peak = Math.max(this.peak, sandboxProcesses(scope).length); };
    sample();
    this.timer = setInterval(sample, 25);
  }
  stop(): number {
    clearInterval(this.timer);
    return this.peak;
  }
}
