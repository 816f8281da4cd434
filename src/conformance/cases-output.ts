// Output cases (issues 14 and 15): a valid result document nested far deeper than the parser's bound, on every
// backend, must end FAILED BAD_OUTPUT naming the bound (never INTERNAL, never a lost outcome); registered in cases.ts.
import { MAX_OUTPUT_DEPTH } from '../contract/agent-output.js';
import type { CaseCall, CaseSpec, Observation, Verdict } from './case-types.js';
import { fail, fmtBytes, missing, outcome } from './expect.js';

/** The nested-output agent (fixtures/agents/docker/nested, and its wasm twin) on all three backends. */
function nested(input: Record<string, unknown>, backends: readonly ('wasm' | 'native' | 'docker')[]): Partial<Record<'wasm' | 'native' | 'docker', CaseCall>> {
  return Object.fromEntries(backends.map((b) => [b, { agent: `c-${b}-nested`, input: () => input }]));
}

function badOutputNamingDepth(o: Observation): Verdict {
  const none = missing(o);
  if (none) return none;
  const r = o.response!;
  const bytes = r.usage?.output_bytes ?? 0;
  if (r.status === 'FAILED' && r.error?.code === 'BAD_OUTPUT' && r.error.message.includes(`deeper than ${MAX_OUTPUT_DEPTH} levels`)) {
    return { pass: true, observed: `FAILED/BAD_OUTPUT (${fmtBytes(bytes)})`, values: { output_bytes: bytes, elapsed_ms: o.elapsedMs } };
  }
  return fail(outcome(o), `expected FAILED BAD_OUTPUT naming the ${MAX_OUTPUT_DEPTH}-level bound, got ${outcome(o)}: ${r.error?.message ?? ''}`);
}

export const OUTPUT_CASES: readonly CaseSpec[] = [
  {
    id: 'nested-output', title: `result nested 8,000 deep (16 KB; bound ${MAX_OUTPUT_DEPTH})`,
    calls: nested({ depth: 8_000 }, ['wasm', 'native', 'docker']),
    expect: badOutputNamingDepth,
  },
  {
    id: 'nested-output-20k', title: 'result nested 20,000 deep (40 KB)',
    calls: nested({ depth: 20_000 }, ['wasm', 'native', 'docker']),
    expect: badOutputNamingDepth,
  },
  {
    id: 'nested-error', title: '"error" value nested 20,000 deep',
    calls: { wasm: { na: 'the wasm fixture nests its output; the same parser reads "error" (nested-output proves it on wasm)' }, ...nested({ depth: 20_000, where: 'error' }, ['native', 'docker']) },
    expect: badOutputNamingDepth,
  },
];
