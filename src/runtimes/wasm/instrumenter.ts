// DEV STUB until src/sandbox/wasm/instrument.ts lands: passes the module through unchanged.
export interface InstrumentOptions {
  maxMemoryBytes: number;
  allowImport: (module: string, name: string) => boolean;
}
export function instrument(bytes: Uint8Array, _opts: InstrumentOptions): Uint8Array {
  return bytes;
}
