// Counts of a suite report's cells and leak rows, and the one rule for whether the suite passed.
import type { SuiteReport } from './case-types.js';

export interface Summary { pass: number; fail: number; na: number; unavailable: number; notConfigured: number }

export function summarize(r: Pick<SuiteReport, 'cases' | 'leaks'>): Summary {
  const s: Summary = { pass: 0, fail: 0, na: 0, unavailable: 0, notConfigured: 0 };
  const add = (result: string) => {
    if (result === 'PASS') s.pass++;
    else if (result === 'FAIL') s.fail++;
    else if (result === 'UNAVAILABLE') s.unavailable++;
    else if (result === 'NOT_CONFIGURED') s.notConfigured++;
    else s.na++;
  };
  for (const c of r.cases) for (const cell of Object.values(c.cells)) if (cell) add(cell.result);
  for (const l of r.leaks) add(l.result);
  return s;
}

/** Every applicable case passed: no FAIL, no selected backend unavailable, no case left unrun for want of its agents. */
export function suitePassed(r: Pick<SuiteReport, 'cases' | 'leaks' | 'backends'>): boolean {
  const s = summarize(r);
  return s.fail === 0 && s.unavailable === 0 && s.notConfigured === 0 && r.backends.every((b) => !b.selected || b.available);
}

/** Exit status of a run: 0 passed, 1 a FAIL or an unavailable backend, 4 only not-configured cases kept it from passing. */
export const EXIT_NOT_CONFIGURED = 4;
export function suiteExitCode(r: Pick<SuiteReport, 'cases' | 'leaks' | 'backends'>): number {
  if (suitePassed(r)) return 0;
  const s = summarize(r);
  return s.fail === 0 && s.unavailable === 0 && r.backends.every((b) => !b.selected || b.available) ? EXIT_NOT_CONFIGURED : 1;
}
