// The machine report: schema "ari.conformance/v1", documented in docs/conformance-json.md (add fields, never rename).
import type { CellReport, SuiteReport } from './case-types.js';
import { summarize } from './summary.js';

export const JSON_SCHEMA_ID = 'ari.conformance/v1';

function cellJson(c: CellReport) {
  return {
    result: c.result,
    observed: c.observed,
    detail: c.detail,
    agent_id: c.agent ?? null,
    status: c.status ?? null,
    error_code: c.errorCode ?? null,
    elapsed_ms: c.elapsedMs ?? null,
    usage: c.usage ?? null,
    values: c.values ?? {},
    concurrent_good: c.good
      ? { result: c.good.pass ? 'PASS' : 'FAIL', status: c.good.status, detail: c.good.detail, elapsed_ms: c.good.elapsedMs }
      : null,
  };
}

export function reportJson(r: SuiteReport, exitCode: number) {
  const s = summarize(r);
  return {
    schema: JSON_SCHEMA_ID,
    target: r.target,
    in_process: r.inProcess,
    started_at: r.startedAt,
    duration_ms: r.durationMs,
    passed: r.passed,
    exit_code: exitCode,
    summary: { pass: s.pass, fail: s.fail, na: s.na, unavailable: s.unavailable, not_configured: s.notConfigured },
    backends: r.backends.map((b) => ({ name: b.name, selected: b.selected, available: b.available, reason: b.reason, kill_bound_ms: b.killBoundMs })),
    cases: r.cases.map((c) => ({
      id: c.id,
      title: c.title,
      cells: Object.fromEntries(Object.entries(c.cells).map(([b, cell]) => [b, cellJson(cell!)])),
    })),
    leaks: r.leaks.map((l) => ({ id: l.id, title: l.title, result: l.result, observed: l.observed, detail: l.detail, values: l.values ?? {} })),
  };
}

export function formatJson(r: SuiteReport, exitCode: number): string {
  return JSON.stringify(reportJson(r, exitCode), null, 2);
}
