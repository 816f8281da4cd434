// JUnit XML for CI: one testsuite per selected backend plus one for the leak checks; n-a cells are skipped tests.
import type { SuiteReport } from './case-types.js';

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
  // XML 1.0 forbids most control characters even escaped.
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '?');

interface Test { name: string; result: string; observed: string; detail: string; seconds: number }

function suite(name: string, tests: Test[]): string {
  const failures = tests.filter((t) => t.result === 'FAIL' || t.result === 'UNAVAILABLE').length;
  const skipped = tests.filter((t) => t.result === 'NA' || t.result === 'NOT_CONFIGURED').length;
  const body = tests.map((t) => {
    const head = `    <testcase classname="ari.conformance.${esc(name)}" name="${esc(t.name)}" time="${t.seconds.toFixed(3)}"`;
    if (t.result === 'PASS') return `${head}><system-out>${esc(t.observed)}</system-out></testcase>`;
    if (t.result === 'NA') return `${head}><skipped message="${esc(t.detail || 'not applicable')}"/></testcase>`;
    if (t.result === 'NOT_CONFIGURED') return `${head}><skipped message="${esc(`not configured: ${t.detail}`)}"/></testcase>`;
    return `${head}><failure message="${esc(`${t.result} ${t.observed}`)}">${esc(t.detail)}</failure></testcase>`;
  });
  return [`  <testsuite name="${esc(name)}" tests="${tests.length}" failures="${failures}" skipped="${skipped}">`, ...body, '  </testsuite>'].join('\n');
}

export function formatJunit(r: SuiteReport): string {
  const suites = r.backends.filter((b) => b.selected).map((b) => suite(b.name, r.cases.flatMap((c) => {
    const cell = c.cells[b.name];
    return cell ? [{ name: c.id, result: cell.result, observed: cell.observed, detail: cell.detail, seconds: (cell.elapsedMs ?? 0) / 1000 }] : [];
  })));
  suites.push(suite('leaks', r.leaks.map((l) => ({ name: l.id, result: l.result, observed: l.observed, detail: l.detail, seconds: 0 }))));
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="ari conformance" time="${(r.durationMs / 1000).toFixed(3)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
