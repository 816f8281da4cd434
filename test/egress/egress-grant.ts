// A real EgressProxy session as the task service grants it, for backend-level egress tests.
import { EgressProxy, type EgressEndpoint, type EgressReport, type SessionListen } from '../../src/egress/egress-proxy.js';
import { parseAllowList } from '../../src/egress/policy.js';
import type { EgressBudgets, EgressLimit } from '../../src/egress/session.js';
import type { EgressGrant } from '../../src/runtimes/runtime.js';

export interface TestGrant {
  grant: EgressGrant;
  /** Resolves with the endpoint once the backend opened it. */
  opened: Promise<EgressEndpoint>;
  close(): Promise<EgressReport | undefined>;
}

/** One proxy per test file: `onLimit` aborts the controller registered for that task, as the task service does. */
export function testProxy(opts: ConstructorParameters<typeof EgressProxy>[0] = {}): { proxy: EgressProxy; grant: (taskId: string, allow: string[], budgets?: EgressBudgets) => TestGrant; onLimit: Map<string, (which: EgressLimit) => void> } {
  const onLimit = new Map<string, (which: EgressLimit) => void>();
  const proxy = new EgressProxy({ ...opts, onLimit: (taskId, which) => { onLimit.get(taskId)?.(which); opts.onLimit?.(taskId, which); } });
  const grant = (taskId: string, allow: string[], budgets: EgressBudgets = {}): TestGrant => {
    let resolve!: (e: EgressEndpoint) => void;
    const opened = new Promise<EgressEndpoint>((r) => { resolve = r; });
    const g: EgressGrant = {
      open: async (where?: SessionListen) => {
        const e = await proxy.openSession(taskId, parseAllowList(allow), budgets, where);
        resolve(e);
        return e;
      },
    };
    return { grant: g, opened, close: () => proxy.closeSession(taskId) };
  };
  return { proxy, grant, onLimit };
}
