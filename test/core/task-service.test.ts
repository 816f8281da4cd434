// Lifecycle logic with a scripted in-memory runtime (pure logic; the real backends have their own tests).
import { describe, expect, it } from 'vitest';
import { AgentRegistry } from '../../src/core/agent-registry.js';
import { MemoryJournal } from '../../src/core/journal.js';
import { Scheduler } from '../../src/core/scheduler.js';
import { TaskService } from '../../src/core/task-service.js';
import { BUILTIN_DEFAULT_LIMITS, BUILTIN_MAX_LIMITS } from '../../src/config/limits-config.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { AgentSpec } from '../../src/contract/agent.js';
import type { Runtime } from '../../src/runtimes/runtime.js';
import { emptyUsage } from '../../src/contract/outcome.js';

const agent: AgentSpec = {
  id: 'echo', runtime: 'wasm', env: {}, limits: {}, baseDir: '/',
  manifest: { name: 'E', version: '1', description: '', requirements: {}, capabilities: [{ name: 'run', description: '', schema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } }] },
};

function setup(opts: { concurrency?: number; queue?: number; delayMs?: number } = {}) {
  let runs = 0;
  const runtime = {
    name: 'wasm',
    async execute(_a, task, signal) {
      runs++;
      await new Promise<void>((res) => {
        const t = setTimeout(res, opts.delayMs ?? 0);
        signal.addEventListener('abort', () => { clearTimeout(t); res(); });
      });
      if (signal.aborted) return { status: 'CANCELLED', usage: emptyUsage(), metrics: {} };
      return { status: 'COMPLETED', output: task.input, usage: emptyUsage(), metrics: {} };
    },
  } as Runtime;
  const b = { concurrency: opts.concurrency ?? 1, queue: opts.queue ?? 10, workers: 1, uidStart: 0, uidCount: 0 };
  const service = new TaskService({
    registry: new AgentRegistry([agent]),
    runtimeFor: () => runtime,
    unavailableReason: () => undefined,
    scheduler: new Scheduler({ wasm: b, native: b, docker: b }),
    journal: new MemoryJournal(100),
    policy: { defaults: BUILTIN_DEFAULT_LIMITS, max: BUILTIN_MAX_LIMITS, maxInputBytes: 1000 },
    logger: silentLogger,
  });
  const sub = (input: string, taskId = '') => ({ taskId, agentId: 'echo', capability: 'run', input: Buffer.from(input), limits: {} });
  return { service, sub, runs: () => runs };
}

describe('TaskService', () => {
  it('runs a task to COMPLETED and keeps the outcome', async () => {
    const { service, sub } = setup();
    const { record, done } = service.submit(sub('{"n":1}'));
    expect(record.status).toBe('QUEUED');
    const r = await done;
    expect(r.status).toBe('COMPLETED');
    expect(service.get(r.taskId).result?.output).toEqual({ n: 1 });
  });

  it('runs the same task id with the same request once', async () => {
    const { service, sub, runs } = setup({ delayMs: 20 });
    const a = service.submit(sub('{"n":1}', 'k1'));
    const b = service.submit(sub('{ "n" : 1 }', 'k1'));
    expect((await a.done).taskId).toBe('k1');
    expect((await b.done).result).toEqual((await a.done).result);
    service.submit(sub('{"n":1}', 'k1'));
    expect(runs()).toBe(1);
  });

  it('answers ALREADY_EXISTS for a reused id with another request', async () => {
    const { service, sub } = setup();
    await service.submit(sub('{"n":1}', 'k2')).done;
    expect(() => service.submit(sub('{"n":2}', 'k2'))).toThrow(/already used for a different request/);
  });

  it('rejects bad JSON, schema violations and unknown capabilities before recording anything', () => {
    const { service, sub } = setup();
    expect(() => service.submit(sub('{"n":'))).toThrow(/not valid JSON/);
    expect(() => service.submit(sub('{"n":"x"}'))).toThrow(/input\/n: must be integer/);
    expect(() => service.submit(sub('{}'))).toThrow(/must have required property 'n'/);
    expect(() => service.submit({ ...sub('{"n":1}'), capability: 'fly' })).toThrow(/no capability "fly" \(it has: run\)/);
    expect(() => service.submit({ ...sub('{"n":1}'), agentId: 'nope' })).toThrow(/unknown agent "nope"/);
    expect(() => service.submit(sub(`{"n":1,"pad":"${'x'.repeat(2000)}"}`))).toThrow(/above the limit of 1000 bytes/);
  });

  it('answers RESOURCE_EXHAUSTED when the queue is full', async () => {
    const { service, sub } = setup({ concurrency: 1, queue: 2, delayMs: 50 });
    const accepted = [service.submit(sub('{"n":1}')), service.submit(sub('{"n":2}')), service.submit(sub('{"n":3}'))];
    expect(() => service.submit(sub('{"n":4}'))).toThrow(/queue is full/);
    await Promise.all(accepted.map((a) => a.done));
  });

  it('cancels a queued task at once and a running one through its signal', async () => {
    const { service, sub } = setup({ concurrency: 1, delayMs: 10_000 });
    const running = service.submit(sub('{"n":1}'));
    const queued = service.submit(sub('{"n":2}'));
    await new Promise((r) => setTimeout(r, 20));
    expect((await service.cancel(queued.record.taskId)).status).toBe('CANCELLED');
    expect((await service.cancel(running.record.taskId)).status).toBe('CANCELLED');
  });

  it('replays a finished outcome to a late subscriber', async () => {
    const { service, sub } = setup();
    const r = await service.submit(sub('{"n":1}')).done;
    const seen: string[] = [];
    service.subscribe(r.taskId, (u) => seen.push(`${u.kind}:${u.status}`));
    expect(seen).toEqual(['result:COMPLETED']);
  });

  it('shutdown cancels what does not finish within the grace', async () => {
    const { service, sub } = setup({ concurrency: 1, delayMs: 10_000 });
    const a = service.submit(sub('{"n":1}'));
    const b = service.submit(sub('{"n":2}'));
    await service.shutdown(50);
    expect((await a.done).status).toBe('CANCELLED');
    expect((await b.done).status).toBe('CANCELLED');
    expect(() => service.submit(sub('{"n":3}'))).toThrow(/shutting down/);
  });
});
