// `npm run bench`: side-by-side comparisons in one run (ratios, not absolute times), written to BENCHMARKS.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { sections as daemonSections } from './daemon-bench.js';

export interface BenchSection {
  title: string;
  headers: string[];
  rows: (string | number)[][];
  notes?: string[];
}

type SectionFn = () => Promise<BenchSection>;

const only = process.argv.slice(2);

async function optional(path: string, name: string, title: string): Promise<SectionFn> {
  return async () => {
    try {
      const mod = (await import(path)) as Record<string, () => Promise<BenchSection>>;
      return await mod[name]();
    } catch (e) {
      return { title, headers: ['status'], rows: [[`not run: ${(e as Error).message.split('\n')[0]}`]] };
    }
  };
}

function render(s: BenchSection): string {
  const lines = [`## ${s.title}`, '', `| ${s.headers.join(' | ')} |`, `| ${s.headers.map(() => '---').join(' | ')} |`];
  for (const r of s.rows) lines.push(`| ${r.join(' | ')} |`);
  if (s.notes?.length) lines.push('', ...s.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

const all: [string, SectionFn][] = [
  ...daemonSections,
  ['deployed', await optional('./deployed/deployed-bench.js', 'deployedSection', 'Deployed wasm vs echo')],
  ['footprint', await optional('./deployed/deployed-bench.js', 'footprintSection', 'Deployed footprint')],
  ['deployed-profile', await optional('./deployed/profile-bench.js', 'profileSection', 'Deployed wasm cost breakdown')],
  ['deployed-floor', await optional('./deployed/floor-bench.js', 'floorSection', 'Deployed wasm contract floor')],
  ['deployed-ablation', await optional('./deployed/ablation-bench.js', 'ablationSection', 'Deployed wasm ablation')],
  ['journal', await optional('./journal-bench.js', 'journalSection', 'Journal drain into SQLite')],
  ['fuel', await optional('./fuel-kernels.js', 'fuelSection', 'Fuel instrumentation overhead')],
  ['native', await optional('./native-bench.js', 'nativeSection', 'Native sandbox latency')],
  ['docker', await optional('./docker-bench.js', 'dockerSection', 'Docker latency')],
  ['fleet', await optional('./fleet-bench.js', 'fleetSection', 'Fleet (PostgreSQL)')],
  ['egress', await optional('./egress-bench.js', 'egressSection', 'Egress proxy')],
];

const out: string[] = [
  '# ari benchmarks',
  '',
  `Produced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}.`,
  'Every comparison runs side by side in one process and one run; the ratios are what matter, not the absolute times.',
  '',
];
for (const [key, fn] of all) {
  if (only.length && !only.includes(key)) continue;
  process.stderr.write(`bench: ${key}…\n`);
  const s = await fn();
  out.push(render(s), '');
  process.stderr.write(render(s) + '\n\n');
}
const file = join(import.meta.dirname, '..', only.length ? `BENCHMARKS.${only.join('-')}.md` : 'BENCHMARKS.md');
// `npm run soak` appends its own section; a bench run keeps it.
const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
const soak = previous.indexOf('## Soak');
if (soak >= 0) out.push(previous.slice(soak).trimEnd(), '');
writeFileSync(file, out.join('\n'));
process.stderr.write(`bench: wrote ${file}\n`);
process.exit(0);
