// Test order: the files known to take minutes start first. On a fresh clone vitest has no timings cached and starts
// the largest files first, so the 39-line load test (3–4 minutes) began last and ran alone for its whole length.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Longest first, from a CI run beside a busy core (seconds): the rest follow in vitest's own order. */
const LONG_FILES = [
  'test/reliability/load.test.ts', // 235
  'test/cli/package.test.ts', // 120–210
  'test/conformance/conformance.test.ts', // 143
  'test/fleet/fleet-chaos.test.ts', // 107
  'test/cli/operator-cli.test.ts', // 65
  'test/docker/docker-sweep.test.ts', // 63
];

export class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rest = await super.sort(files);
    const rank = (f: TestSpecification) => LONG_FILES.findIndex((l) => f.moduleId.endsWith(l));
    const long = rest.filter((f) => rank(f) >= 0).sort((a, b) => rank(a) - rank(b));
    return [...long, ...rest.filter((f) => rank(f) < 0)];
  }
}
