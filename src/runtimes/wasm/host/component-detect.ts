// Tells a core wasm module from a component by its preamble (magic, then version/layer bytes 4..7).

export type WasmBinaryKind = 'core' | 'component';

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** Returns the kind, or a reason string when the bytes are neither. */
export function detectWasmKind(bytes: Uint8Array): WasmBinaryKind | { invalid: string } {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) return { invalid: 'not a WebAssembly binary (bad magic)' };
  const [v0, v1, l0, l1] = [bytes[4], bytes[5], bytes[6], bytes[7]];
  if (v0 === 0x01 && v1 === 0x00 && l0 === 0x00 && l1 === 0x00) return 'core';
  if (l0 === 0x01 && l1 === 0x00) return 'component';
  return { invalid: `unknown WebAssembly version/layer bytes ${[v0, v1, l0, l1].map((b) => b.toString(16).padStart(2, '0')).join(' ')}` };
}
