// A native agent entry in the config file is checked at load: unknown keys, relative or missing binaries and binds are named.
import { describe, expect, it } from 'vitest';
import { readAgent } from '../../src/config/agent-config.js';
import { BUILTIN_MAX_LIMITS } from '../../src/config/limits-config.js';
import { MATH_BIN, REPO } from './native-helpers.js';

const base = { id: 'math-native', runtime: 'native', manifest: 'fixtures/agents/math/manifest.json', command: [MATH_BIN] };
const load = (extra: Record<string, unknown>) => () => {
  const spec = readAgent({ ...base, ...extra }, 0, REPO, BUILTIN_MAX_LIMITS);
  if (spec.runtime !== 'native') throw new Error(`expected a native agent, got ${spec.runtime}`);
  return spec;
};

describe('native agent config', () => {
  it('loads the native MathAgent', () => {
    const spec = load({})();
    expect(spec.command).toEqual([MATH_BIN]);
    expect(spec.runtime).toBe('native');
  });

  it('takes a pool size (pre-started sandboxes), bounded', () => {
    expect(load({ pool: 2 })().pool).toBe(2);
    expect(load({ pool: 65 })).toThrow(/pool/);
  });

  it('names an unknown field', () => {
    expect(load({ comand: ['/x'] })).toThrow(/unknown key "comand"/);
    expect(load({ image: 'x' })).toThrow(/unknown key "image"/);
  });

  it('names a missing binary, a PATH-style name and a missing bind', () => {
    expect(load({ command: ['/nonexistent/math'] })).toThrow(/command\[0\]: binary not found: \/nonexistent\/math/);
    expect(load({ command: ['math'] })).toThrow(/command\[0\]: "math" must be an absolute path/);
    expect(load({ binds: ['/nonexistent/lib'] })).toThrow(/binds\[0\].*\/nonexistent\/lib/);
  });
});
