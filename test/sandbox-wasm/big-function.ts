// Builds a module with one huge function: deep nesting (every 4th frame a loop) and many wide br_tables.
import { Writer } from '../../src/sandbox/wasm/writer.js';

/** ~1.3 MB of code with the defaults: depth × labels is what once made instrumentation quadratic. */
export function bigFunctionModule(depth = 1500, tables = 650, labels = 1000): Uint8Array<ArrayBuffer> {
  const body = new Writer().u32(0);
  for (let i = 0; i < depth; i++) body.ops((depth - 1 - i) % 4 === 3 ? 0x03 : 0x02, 0x40); // innermost a block: f() returns
  for (let t = 0; t < tables; t++) {
    body.ops(0x41, 0x00, 0x0e).u32(labels - 1);
    for (let l = 0; l < labels; l++) body.u32((l * 7 + t) % depth);
  }
  for (let i = 0; i <= depth; i++) body.u8(0x0b);
  const section = (id: number, payload: Writer) => new Writer().u8(id).sized(payload).finish();
  const code = new Writer().u32(1).sized(body);
  const parts = [
    new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
    section(1, new Writer().ops(1, 0x60, 0, 0)),
    section(3, new Writer().ops(1, 0)),
    section(7, new Writer().u32(1).name('f').ops(0, 0)),
    section(10, code),
  ];
  const out = new Writer();
  for (const p of parts) out.bytes(p);
  return out.finish();
}
