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
import { WASM_ENFORCES } from '../../src/runtimes/wasm/enforcement.js';

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
  const journal = new MemoryJournal(100);
  const service = new TaskService({
    registry: new AgentRegistry([agent]),
    runtimeFor: () => runtime,
    unavailableReason: () => undefined,
    scheduler: new Scheduler({ wasm: b, native: b, docker: b }),
    journal,
    policy: { defaults: BUILTIN_DEFAULT_LIMITS, max: BUILTIN_MAX_LIMITS, maxInputBytes: 1000, enforces: () => WASM_ENFORCES },
    logger: silentLogger,
  });
  const sub = (input: string, taskId = '') => ({ taskId, agentId: 'echo', capability: 'run', input: Buffer.from(input), limits: {} });
  return { service, sub, journal, runs: () => runs };
}

describe('TaskService', () => {
  it('runs a task to COMPLETED and keeps the outcome in the journal', async () => {
    const { service, sub, journal } = setup();
    const { record, done } = await service.submit(sub('{"n":1}'));
    expect(record.status).toBe('QUEUED');
    const r = await done;
    expect(r.status).toBe('COMPLETED');
    expect((await service.get(r.taskId)).result?.output).toEqual({ n: 1 });
    expect(await journal.get(r.taskId)).toEqual(r);
  });

  it('runs the same task id with the same request once, also when both arrive together', async () => {
    const { service, sub, runs } = setup({ delayMs: 20 });
    const [a, b] = await Promise.all([service.submit(sub('{"n":1}', 'k1')), service.submit(sub('{ "n" : 1 }', 'k1'))]);
    expect((await a.done).taskId).toBe('k1');
    expect((await b.done).result).toEqual((await a.done).result);
    await service.submit(sub('{"n":1}', 'k1'));
    expect(runs()).toBe(1);
  });

  it('answers ALREADY_EXISTS for a reused id with another request', async () => {
    const { service, sub } = setup();
    await (await service.submit(sub('{"n":1}', 'k2'))).done;
    await expect(service.submit(sub('{"n":2}', 'k2'))).rejects.toThrow(/already used for a different request/);
  });

  it('rejects bad JSON, schema violations and unknown capabilities before recording anything', async () => {
    const { service, sub, journal } = setup();
    await expect(service.submit(sub('{"n":'))).rejects.toThrow(/not valid JSON/);
    await expect(service.submit(sub('{"n":"x"}'))).rejects.toThrow(/input\/n: must be integer/);
    await expect(service.submit(sub('{}'))).rejects.toThrow(/must have required property 'n'/);
    await expect(service.submit({ ...sub('{"n":1}'), capability: 'fly' })).rejects.toThrow(/no capability "fly" \(it has: run\)/);
    await expect(service.submit({ ...sub('{"n":1}'), agentId: 'nope' })).rejects.toThrow(/unknown agent "nope"/);
    await expect(service.submit(sub(`{"n":1,"pad":"${'x'.repeat(2000)}"}`))).rejects.toThrow(/above the limit of 1000 bytes/);
    expect((await journal.list({ limit: 10 })).records).toEqual([]);
  });

  it('answers RESOURCE_EXHAUSTED when the queue is full', async () => {
    const { service, sub } = setup({ concurrency: 1, queue: 2, delayMs: 50 });
    const accepted = [await service.submit(sub('{"n":1}')), await service.submit(sub('{"n":2}')), await service.submit(sub('{"n":3}'))];
    await expect(service.submit(sub('{"n":4}'))).rejects.toThrow(/queue is full/);
    await Promise.all(accepted.map((a) => a.done));
  });

  it('cancels a queued task at once and a running one through its signal', async () => {
    const { service, sub } = setup({ concurrency: 1, delayMs: 10_000 });
    const running = await service.submit(sub('{"n":1}'));
    const queued = await service.submit(sub('{"n":2}'));
    await new Promise((r) => setTimeout(r, 20));
    expect((await service.cancel(queued.record.taskId)).status).toBe('CANCELLED');
    expect((await service.cancel(running.record.taskId)).status).toBe('CANCELLED');
  });

  it('replays a finished outcome to a late subscriber and streams a live one', async () => {
    const { service, sub } = setup({ delayMs: 30 });
    const live = await service.submit(sub('{"n":2}'));
    const seenLive: string[] = [];
    await service.subscribe(live.record.taskId, (u) => seenLive.push(`${u.kind}:${u.status}`));
    const r = await live.done;
    expect(seenLive[0]).toMatch(/^status:(QUEUED|RUNNING)$/);
    expect(seenLive.at(-1)).toBe('result:COMPLETED');
    const seen: string[] = [];
    await service.subscribe(r.taskId, (u) => seen.push(`${u.kind}:${u.status}`));
    expect(seen).toEqual(['result:COMPLETED']);
  });

  it('lists tasks newest first by agent and status, in pages', async () => {
    const { service, sub } = setup();
    for (let i = 0; i < 5; i++) await (await service.submit(sub(`{"n":${i}}`, `l${i}`))).done;
    const first = await service.list({ agentId: 'echo', status: 'COMPLETED', limit: 3 });
    expect(first.records.map((r) => r.taskId)).toHaveLength(3);
    const second = await service.list({ agentId: 'echo', status: 'COMPLETED', limit: 3, pageToken: first.next });
    expect(new Set([...first.records, ...second.records].map((r) => r.taskId))).toEqual(new Set(['l0', 'l1', 'l2', 'l3', 'l4']));
    expect(second.next).toBe('');
  });

  it('shutdown cancels what does not finish within the grace', async () => {
    const { service, sub } = setup({ concurrency: 1, delayMs: 10_000 });
    const a = await service.submit(sub('{"n":1}'));
    const b = await service.submit(sub('{"n":2}'));
    await service.shutdown(50);
    expect((await a.done).status).toBe('CANCELLED');
    expect((await b.done).status).toBe('CANCELLED');
    await expect(service.submit(sub('{"n":3}'))).rejects.toThrow(/shutting down/);
  });
});
