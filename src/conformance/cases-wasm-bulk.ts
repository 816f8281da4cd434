// Wasm bulk-operation cases (issue 14): a deadline met under loops of large memory.fill (overshoot printed), and
// tables counted as memory. Registered in cases.ts; agents c-wasm-bulkfill and c-wasm-tables in ari.toml.
import type { CaseSpec, NotApplicable, Observation, Verdict } from './case-types.js';
import { fail, fmtBytes, fmtCount, missing, outcome, timedOutWithinBound } from './expect.js';
import type { HostProbe } from './host-probe.js';

const na = (why: string): NotApplicable => ({ na: why });
const withOutcome = (judge: (o: Observation, p: HostProbe) => Verdict | Promise<Verdict>) =>
  (o: Observation, p: HostProbe) => missing(o) ?? judge(o, p);
const NATIVE_BULK = 'native code has no bulk wasm operations; a kill by signal is measured in cpu-spin';
const NATIVE_TABLES = 'native memory is one cgroup/rlimit total (memory-bomb); there are no wasm tables';

export const WASM_BULK_CASES: readonly CaseSpec[] = [
  {
    id: 'bulk-fill-deadline', title: 'loop of 32 MiB memory.fill (wasm)',
    calls: { wasm: { agent: 'c-wasm-bulkfill' }, native: na(NATIVE_BULK), docker: na(NATIVE_BULK) },
    expect: withOutcome((o) => {
      const v = timedOutWithinBound(o, o.backend);
      const fuel = Number(o.response?.usage?.fuel_consumed ?? 0);
      // Fuel is charged by bytes touched: a loop stopped by its deadline has paid for at least one 1 MiB chunk.
      if (v.pass && fuel < (1 << 20) / 16) return fail(`${v.observed}, ${fmtCount(fuel)} fuel`, `fuel_consumed ${fuel} does not count the bytes filled`, v.values);
      return { ...v, observed: `${v.observed}, ${fmtCount(fuel)} fuel`, values: { ...v.values, fuel_consumed: fuel } };
    }),
  },
  {
    id: 'table-memory', title: 'tables past memory_bytes (wasm)',
    calls: { wasm: { agent: 'c-wasm-tables' }, native: na(NATIVE_TABLES), docker: na(NATIVE_TABLES) },
    expect: withOutcome((o) => {
      const r = o.response!;
      const peak = Number(r.usage?.peak_memory_bytes ?? 0);
      const limit = Number(r.limits?.memory_bytes ?? 0);
      const values = { peak_memory_bytes: peak, memory_bytes: limit };
      if (r.status !== 'OUT_OF_MEMORY') return fail(outcome(o), `~96 MB of declared tables under ${fmtBytes(limit)} ended ${outcome(o)}: ${r.error?.message ?? ''}`, values);
      if (limit && peak > limit) return fail(`OOM peak ${fmtBytes(peak)}`, `peak_memory_bytes ${peak} is above the ${limit}-byte limit`, values);
      return { pass: true, observed: `OOM peak ${fmtBytes(peak)}`, values };
    }),
  },
];
