// InlineRunner's demotion: a module goes to workers for good only after INLINE_SLOW_STRIKES slow inline runs within
// INLINE_STRIKE_WINDOW runs: one pause that is not its doing (GC, the VM descheduled) does not demote it, slow runs
// with fast ones between them do, and slow runs further apart than the window do not add up.
import { describe, expect, it } from 'vitest';
import { taskDocument } from '../../src/contract/agent.js';
import { INLINE_SLOW_STRIKES, INLINE_STRIKE_WINDOW, InlineRunner } from '../../src/runtimes/wasm/host/inline-runner.js';
import { loadModule } from '../../src/runtimes/wasm/host/module-loader.js';
import type { RunRequest } from '../../src/runtimes/wasm/shared/worker-protocol.js';
import * as M from './modules.js';
import { agentFor, taskFor, watFile } from './wat.js';

async function loaded() {
  const agent = agentFor('strikes', await watFile('strikes-echo', M.SEED_ECHO));
  const m = await loadModule(agent, { maxMemoryBytes: 64 * 1024 * 1024, maxPrepareMillis: 30_000 });
  if (!(m.module instanceof WebAssembly.Module)) throw new Error('expected a core module');
  const task = taskFor(agent);
  const req: RunRequest = { type: 'run', jobId: 0, moduleKey: 'strikes', abi: m.abi, footprintBytes: m.footprintBytes, memory: m.memory,
    agentId: agent.id, env: agent.env, document: taskDocument(task), limits: task.limits, deadline: Date.now() + 60_000 };
  return { m: { ...m, module: m.module }, req };
}

describe('inline demotion', () => {
  it('demotes a module after INLINE_SLOW_STRIKES slow runs, not before', async () => {
    const { m, req } = await loaded();
    expect(INLINE_SLOW_STRIKES).toBeGreaterThan(1);
    const everySlow = new InlineRunner(undefined, -1); // every run counts as slow
    for (let i = 1; i < INLINE_SLOW_STRIKES; i++) {
      expect(everySlow.run(m, req)?.status).toBe('COMPLETED');
      expect(everySlow.eligible(m)).toBe(true);
    }
    expect(everySlow.run(m, req)?.status).toBe('COMPLETED'); // the run itself still stands
    expect(everySlow.eligible(m)).toBe(false);
  });

  /** A runner whose next run counts as slow when `slow()` says so. */
  function switchable(): { runner: InlineRunner; set: (slow: boolean) => void } {
    let slowMs = 60_000;
    const runner = new InlineRunner(undefined, 0);
    Object.defineProperty(runner, 'slowMs', { get: () => slowMs });
    return { runner, set: (slow) => { slowMs = slow ? -1 : 60_000; } };
  }

  it('counts slow runs with fast ones between them (a module slow on some inputs only)', async () => {
    const { m, req } = await loaded();
    const { runner, set } = switchable();
    for (let i = 0; i < INLINE_SLOW_STRIKES; i++) {
      set(true);
      expect(runner.run(m, req)?.status).toBe('COMPLETED');
      set(false);
      for (let k = 0; k < 5; k++) expect(runner.run(m, req)?.status).toBe('COMPLETED');
    }
    expect(runner.eligible(m)).toBe(false);
  });

  it('does not add up slow runs further apart than INLINE_STRIKE_WINDOW runs', async () => {
    const { m, req } = await loaded();
    const { runner, set } = switchable();
    for (let i = 0; i < 3 * INLINE_SLOW_STRIKES; i++) {
      set(true);
      expect(runner.run(m, req)?.status).toBe('COMPLETED');
      set(false);
      for (let k = 0; k < INLINE_STRIKE_WINDOW; k++) runner.run(m, req);
      expect(runner.eligible(m)).toBe(true);
    }
  });
});
