// Test helpers: build WAT with wabt, instrument it, and run it under a small JS fuel host.
import wabtInit from 'wabt';
import { instrumentModule, type InstrumentOptions } from '../../src/sandbox/wasm/instrument.js';

const wabtReady = wabtInit();
const FEATURES = {
  simd: true, bulk_memory: true, sign_extension: true, multi_value: true, reference_types: true,
  tail_call: true, sat_float_to_int: true, mutable_globals: true,
};

export async function wat(source: string, extra: Record<string, boolean> = {}): Promise<Uint8Array<ArrayBuffer>> {
  const wabt = await wabtReady;
  const mod = wabt.parseWat('test.wat', source, { ...FEATURES, ...extra });
  try {
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

export const OPTS: InstrumentOptions = {
  maxMemoryBytes: 16 * 65536,
  allowImport: (m, n) => m === 'env' && (n === 'log' || n === 'time' || n === 'g' || n === 'mem' || n === 'tab'),
};

export class OutOfFuel extends Error {}

/**
 * The host side of the fuel contract, as src/runtimes/wasm's FuelMeter does it: each `out_of_fuel`
 * settles what the counter says was used (a negative counter is a debt), throws once that passes the
 * budget, and otherwise grants the next slice.
 */
export class FuelHost {
  granted = 0;
  calls = 0;
  settled = 0;
  fuel: WebAssembly.Global | undefined;

  constructor(
    readonly budget = 1e15,
    readonly slice = 1e6,
  ) {}

  readonly outOfFuel = (): void => {
    this.calls++;
    this.settled += this.granted - Number(this.fuel!.value as bigint);
    this.granted = 0;
    this.fuel!.value = 0n;
    if (this.settled > this.budget) throw new OutOfFuel(`out of fuel after ${this.settled}`);
    this.grant();
  };

  attach(instance: WebAssembly.Instance): void {
    this.fuel = instance.exports.__ari_fuel as WebAssembly.Global;
    this.grant();
  }

  consumed(): number {
    return this.settled + this.granted - Number(this.fuel!.value as bigint);
  }

  private grant(): void {
    this.granted = Math.min(this.slice, this.budget - this.settled);
    this.fuel!.value = BigInt(this.granted);
  }
}

export interface Run {
  instance: WebAssembly.Instance;
  exports: Record<string, any>;
  host: FuelHost;
}

/** Instantiates the instrumented module, binds the fuel host, and runs a deferred start function. */
export function runMetered(bytes: Uint8Array, imports: WebAssembly.Imports = {}, host = new FuelHost(), opts = OPTS): Run {
  const out = instrumentModule(bytes, opts);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(out.bytes), { ...imports, __ari: { out_of_fuel: host.outOfFuel } });
  host.attach(instance);
  (instance.exports.__ari_start as (() => void) | undefined)?.();
  return { instance, exports: instance.exports as Record<string, any>, host };
}

export function runPlain(bytes: Uint8Array, imports: WebAssembly.Imports = {}): Record<string, any> {
  return new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), imports).exports as Record<string, any>;
}
