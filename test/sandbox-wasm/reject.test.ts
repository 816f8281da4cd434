// What the instrumenter refuses, with messages naming the reason; and the fuel global stays out of reach.
import { describe, expect, it } from 'vitest';
import { InstrumentError, instrumentModule } from '../../src/sandbox/wasm/instrument.js';
import { OPTS, runMetered, wat } from './harness.js';

async function rejects(source: string, message: RegExp, features: Record<string, boolean> = {}, opts = OPTS) {
  const bytes = await wat(source, features);
  expect(() => instrumentModule(bytes, opts)).toThrow(InstrumentError);
  expect(() => instrumentModule(bytes, opts)).toThrow(message);
}

describe('rejections', () => {
  it('rejects invalid modules before rewriting them', () => {
    expect(() => instrumentModule(new Uint8Array([1, 2, 3]), OPTS)).toThrow(/invalid module/);
    // Valid shape, but the body reads global 0 of a module without globals: the fuel global would be there.
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 126, 3, 2, 1, 0, 10, 6, 1, 4, 0, 35, 0, 11]);
    expect(WebAssembly.validate(bytes)).toBe(false);
    expect(() => instrumentModule(bytes, OPTS)).toThrow(/invalid module/);
  });

  it('rejects imports the options do not allow, naming them', async () => {
    await rejects(`(module (import "env" "secret" (func)))`, /import "env"\."secret" \(func\) is not allowed/);
    await rejects(`(module (import "wasi_unstable" "fd_write" (func)))`, /"wasi_unstable"\."fd_write"/);
    await rejects(`(module (import "env" "other" (memory 1)))`, /"env"\."other" \(memory\) is not allowed/);
  });

  it('rejects the reserved __ari names', async () => {
    await rejects(`(module (import "__ari" "out_of_fuel" (func)))`, /reserved module name __ari/, {}, { ...OPTS, allowImport: () => true });
    await rejects(`(module (func (export "__ari_fuel")))`, /export "__ari_fuel" uses the reserved __ari prefix/);
    await rejects(`(module (global (export "__ari_x") i32 (i32.const 0)))`, /reserved __ari prefix/);
  });

  it('rejects an initial memory above the cap', async () => {
    await rejects(`(module (memory 20))`, /memory 0 initial size 20 pages \(1310720 bytes\) is above the limit of 16 pages/);
    await rejects(`(module (import "env" "mem" (memory 17)))`, /imported memory 0 initial size 17 pages/);
  });

  it('rejects features outside the supported set, naming opcode and function', async () => {
    await rejects(`(module (memory 1 1 shared) (func (result i32) (i32.atomic.load (i32.const 0))))`, /shared \(threads are not supported\)/, { threads: true });
    await rejects(`(module (tag $e) (func (try (do (throw $e)) (catch_all))))`, /exception handling/, { exceptions: true });
    await rejects(`(module (func $f (nop)) (func (try (do (call $f)) (catch_all))))`, /unsupported opcode 0x06 try \(exception handling\) in function 1/, { exceptions: true });
  });

  it('leaves the original global indices alone, so the module cannot reach the fuel counter', async () => {
    const run = runMetered(await wat(`(module (import "env" "g" (global $imp i64))
      (global $a (mut i64) (i64.const 5))
      (func (export "f") (result i64) (global.set $a (i64.add (global.get $a) (global.get $imp))) (global.get $a)))`),
    { env: { g: new WebAssembly.Global({ value: 'i64' }, 10n) } });
    expect(run.exports.f()).toBe(15n);
    expect(run.exports.f()).toBe(25n);
    const fuel = run.exports.__ari_fuel as WebAssembly.Global;
    expect(fuel.value).not.toBe(25n);
    expect(run.host.consumed()).toBeGreaterThan(0);
  });
});
