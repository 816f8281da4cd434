// Detecting what a native agent needs inside the sandbox besides itself (ELF loader, #! interpreter).
import { describe, expect, it } from 'vitest';
import { coveredBy, interpreterOf } from '../../src/sandbox/native/binary-needs.js';
import { HOSTILE_BIN, MATH_BIN } from './native-helpers.js';

describe('binary needs', () => {
  it('finds no interpreter for the static fixtures', () => {
    expect(interpreterOf(MATH_BIN)).toBeNull();
    expect(interpreterOf(HOSTILE_BIN)).toBeNull();
  });

  it('finds the ELF loader of a dynamic binary and the #! of a script', () => {
    expect(interpreterOf(process.execPath)).toMatch(/ld-linux/);
    expect(interpreterOf('/usr/bin/ldd')).toMatch(/^\/(usr\/)?bin\/(ba)?sh$/);
  });

  it('checks coverage by binds lexically', () => {
    expect(coveredBy('/lib64/ld-linux-x86-64.so.2', ['/lib64'])).toBe(true);
    expect(coveredBy('/lib64x/ld', ['/lib64'])).toBe(false);
    expect(coveredBy('/bin/sh', ['/bin/sh'])).toBe(true);
  });
});
