// Distinct MathAgent tasks with their expected results (fixtures/agents/math/PROTOCOL.md), to check every answer.
export interface MathTask {
  capability: 'arithmetic' | 'statistics';
  input: Record<string, unknown>;
  /** The expected `output.result`. */
  expected: number;
}

const ARITH = ['add', 'subtract', 'multiply', 'divide'] as const;
const STATS = ['mean', 'median', 'stddev'] as const;

function fold(op: (typeof ARITH)[number], xs: number[]): number {
  return xs.slice(1).reduce((acc, x) => op === 'add' ? acc + x : op === 'subtract' ? acc - x : op === 'multiply' ? acc * x : acc / x, xs[0]!);
}

function stat(op: (typeof STATS)[number], xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (op === 'mean') return mean;
  if (op === 'stddev') return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Task number `n` (deterministic, distinct inputs for distinct n; operands never zero). */
export function mathTask(n: number): MathTask {
  const a = (n % 997) + 1;
  const b = ((n * 7919) % 113) + 1;
  const c = (Math.floor(n / 7) % 89) + 1;
  if (n % 2 === 0) {
    const op = ARITH[(n >> 1) % ARITH.length]!;
    const operands = [a, b, c, n + 1];
    return { capability: 'arithmetic', input: { operation: op, operands }, expected: fold(op, operands) };
  }
  const op = STATS[(n >> 1) % STATS.length]!;
  const values = [a, b, c, n % 50, n + 1];
  return { capability: 'statistics', input: { operation: op, values }, expected: stat(op, values) };
}

export function sameNumber(got: unknown, expected: number): boolean {
  if (typeof got !== 'number') return false;
  return got === expected || Math.abs(got - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}
