// The human report: one row per case, one column per backend, each cell PASS/FAIL/n-a with the observed value.
import type { Backend, CellReport, SuiteReport } from './case-types.js';
import { summarize } from './summary.js';

const MAX_CELL = 36;

function cellText(c: CellReport | undefined): string {
  if (!c) return '-';
  const text = c.result === 'NA' ? 'n-a' : c.result === 'UNAVAILABLE' ? 'UNAVAILABLE' : c.result === 'NOT_CONFIGURED' ? 'not configured' : `${c.result} ${c.observed}`;
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

function grid(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function formatTable(report: SuiteReport): string {
  const cols: Backend[] = report.backends.filter((b) => b.selected).map((b) => b.name);
  const out: string[] = [];
  out.push(`ari conformance: ${report.target}${report.inProcess ? ' (in-process daemon, fixtures/conformance/ari.toml)' : ''}`);
  for (const b of report.backends) {
    const state = !b.selected ? 'not selected' : b.available ? `available (kill bound ${b.killBoundMs} ms)` : `UNAVAILABLE: ${b.reason}`;
    out.push(`  ${b.name.padEnd(7)} ${state}`);
  }
  out.push('');
  out.push(...grid([['case', ...cols], ...report.cases.map((c) => [c.id, ...cols.map((b) => cellText(c.cells[b]))])]));
  out.push('');
  out.push(...grid([['leak check', 'what it checked', 'result', 'observed'], ...report.leaks.map((l) => [l.id, l.title, l.result === 'NA' ? 'n-a' : l.result, l.observed])]));
  const failures = [
    ...report.cases.flatMap((c) => cols.flatMap((b) => {
      const cell = c.cells[b];
      return cell && (cell.result === 'FAIL' || cell.result === 'UNAVAILABLE') ? [`  ${b} ${c.id}: ${cell.detail || cell.observed}`] : [];
    })),
    ...report.leaks.filter((l) => l.result === 'FAIL').map((l) => `  leak ${l.id}: ${l.detail || l.observed}`),
  ];
  if (failures.length) out.push('', 'failures:', ...failures);
  const missing = [...new Set(report.cases.flatMap((c) => cols.flatMap((b) => (c.cells[b]?.result === 'NOT_CONFIGURED' ? [c.cells[b]!.detail] : []))))];
  if (missing.length) out.push('', 'not configured (not run, not passed):', ...missing.map((m) => `  ${m}`));
  const s = summarize(report);
  const verdict = report.passed ? 'PASS' : s.fail || s.unavailable ? 'FAIL' : 'NOT CONFIGURED';
  out.push('', `${verdict}: ${s.pass} passed, ${s.fail} failed, ${s.notConfigured} not configured, ${s.unavailable} unavailable, ${s.na} n-a (${(report.durationMs / 1000).toFixed(1)} s)`);
  return out.join('\n');
}
