// Counts of a suite report's cells and leak rows, and the one rule for whether the suite passed.
import type { SuiteReport } from './case-types.js';

export interface Summary { pass: number; fail: number; na: number; unavailable: number }

export function summarize(r: Pick<SuiteReport, 'cases' | 'leaks'>): Summary {
  const s: Summary = { pass: 0, fail: 0, na: 0, unavailable: 0 };
  const add = (result: string) => {
    if (result === 'PASS') s.pass++;
    else if (result === 'FAIL') s.fail++;
    else if (result === 'UNAVAILABLE') s.unavailable++;
    else s.na++;
  };
  for (const c of r.cases) for (const cell of Object.values(c.cells)) if (cell) add(cell.result);
  for (const l of r.leaks) add(l.result);
  return s;
}

/** Every applicable case passed: no FAIL, and no selected backend unavailable. */
export function suitePassed(r: Pick<SuiteReport, 'cases' | 'leaks' | 'backends'>): boolean {
  const s = summarize(r);
  return s.fail === 0 && s.unavailable === 0 && r.backends.every((b) => !b.selected || b.available);
}
