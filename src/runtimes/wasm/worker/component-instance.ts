// One fresh component instance: jco's glue instantiated over the metered core modules, then armed with a task.
import type { Limits } from '../../../contract/limits.js';
import { ARI } from '../../../sandbox/wasm/instrument.js';
import type { ComponentArtifact } from '../shared/worker-protocol.js';
import type { ComponentWasi, ComponentWasiTask } from './component-wasi.js';
import { FuelMeter, type TaskControl } from './fuel-meter.js';
import { capPages, checkFootprint, extraBytes } from './memory-footprint.js';

type InstantiateCore = (module: WebAssembly.Module, imports?: WebAssembly.Imports) => WebAssembly.Instance;
/** The glue's `instantiate(getCoreModule, imports, instantiateCore)`. */
export type Instantiate = (getCoreModule: (name: string) => WebAssembly.Module, imports: Record<string, unknown>, core: InstantiateCore) => unknown;
export type ComponentApi = Record<string, any>;

export interface ComponentInstance {
  api: ComponentApi;
  /** Present for `wasi:cli/run` commands; task components import nothing. */
  wasi?: ComponentWasi;
  meter: FuelMeter;
  /** Core instances in instantiation order (each with its own fuel counter and memory cap global). */
  instances: WebAssembly.Instance[];
  /** Deferred core start functions, run once the task is armed so they are metered like everything else. */
  starts: (() => void)[];
  bound: boolean;
}

export interface TaskBinding {
  wasi: Omit<ComponentWasiTask, 'charge'>;
  limits: Limits;
  deadline: number;
  control: TaskControl;
  /** Σ of the core modules' declared bytes outside linear memory (tables, globals). */
  footprintBytes: number;
  /** What the host holds for the task (its document). */
  hostBytes: number;
}

/**
 * Instantiates without running guest code: start functions are collected, and an unarmed meter refuses fuel.
 * With `task` the instance is armed first (the direct path); without, it is a spare armed later by `arm`.
 */
export function instantiateComponent(
  instantiate: Instantiate, artifact: ComponentArtifact, wasi: ComponentWasi | undefined, task?: TaskBinding,
): ComponentInstance {
  const meter = new FuelMeter();
  const ci: ComponentInstance = { api: {}, wasi, meter, instances: [], starts: [], bound: false };
  if (task) bind(ci, task);
  const core: InstantiateCore = (module, imports) => {
    const counter = meter.counter();
    const instance = new WebAssembly.Instance(module, { ...imports, [ARI.importModule]: { [ARI.outOfFuel]: counter.outOfFuel } });
    ci.instances.push(instance);
    const exports = instance.exports as Record<string, unknown>;
    counter.bind(exports[ARI.fuelGlobal] as WebAssembly.Global);
    const start = exports[ARI.startExport] as (() => void) | undefined;
    if (start) ci.starts.push(start);
    return instance;
  };
  // Everything handed to the glue is synchronous, so its generator-based instantiate completes without awaiting.
  const api = instantiate((name) => artifact.cores[name]!, wasi?.imports() ?? {}, core);
  if (api instanceof Promise) throw new Error('jco instantiation unexpectedly became asynchronous');
  ci.api = api as ComponentApi;
  return ci;
}

/** Binds the task (if not yet), applies its memory limit, and runs the deferred start functions under its fuel. */
export function arm(ci: ComponentInstance, task: TaskBinding): void {
  bind(ci, task);
  const maxPages = capPages(task.limits.memoryBytes, task.hostBytes);
  for (const i of ci.instances) (i.exports[ARI.memMaxPagesGlobal] as WebAssembly.Global).value = maxPages;
  checkFootprint(heldBytes(ci, task), memoryBytes(ci.instances), task.limits.memoryBytes);
  for (const start of ci.starts.splice(0)) start();
}

function bind(ci: ComponentInstance, task: TaskBinding): void {
  if (ci.bound) return;
  ci.bound = true;
  ci.meter.arm({ budget: task.limits.fuel, deadline: task.deadline, cpuMillis: task.limits.cpuMillis, ...task.control });
  ci.wasi?.bind({ ...task.wasi, charge: (units) => ci.meter.charge(units) });
}

/** What the instance holds outside its linear memories, host bytes for the task included. */
export function heldBytes(ci: ComponentInstance, task: Pick<TaskBinding, 'footprintBytes' | 'hostBytes'>): number {
  return extraBytes(ci.instances, task.footprintBytes) + task.hostBytes;
}

/** Bytes of the component's distinct memories (one module usually defines a memory, others import it). */
export function memoryBytes(instances: WebAssembly.Instance[]): number {
  const seen = new Set<WebAssembly.Memory>();
  for (const i of instances) for (const v of Object.values(i.exports)) if (v instanceof WebAssembly.Memory) seen.add(v);
  return [...seen].reduce((n, m) => n + m.buffer.byteLength, 0);
}

export function oomFlagged(instances: WebAssembly.Instance[]): boolean {
  return instances.some((i) => (i.exports[ARI.oomGlobal] as WebAssembly.Global | undefined)?.value === 1);
}
