import { readFileSync } from 'node:fs';
import { loadComponent } from '../src/runtimes/wasm/component-loader.js';
import { agentFor } from '../test/runtime-wasm/wat.js';
const f = 'test/runtime-wasm/.err-task.component.wasm';
const loaded = await loadComponent(agentFor('x', f), readFileSync(f), 1 << 28);
const { instantiate } = await import(loaded.module.glueUrl);
const api = instantiate((n: string) => new WebAssembly.Module(readFileSync('/dev/null').length ? new Uint8Array() : (globalThis as any).x ?? new Uint8Array()), {}, undefined).catch?.(() => null);
