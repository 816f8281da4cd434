// Test helpers: build WAT into .wasm files (wabt) and wrap them as wasm AgentSpecs and tasks.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wabtInit from 'wabt';
import type { Limits } from '../../src/contract/limits.js';
import type { ExecutionTask } from '../../src/contract/agent.js';
import type { WasmAgentSpec } from '../../src/runtimes/wasm/agent-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'ari-wasm-test-'));
export const REPO_DIR = join(import.meta.dirname, '../..');

/** This run's temp directory for built modules. */
export function tmpDir(): string {
  return dir;
}
const wabtReady = wabtInit();
let n = 0;

export async function watFile(name: string, source: string): Promise<string> {
  const wabt = await wabtReady;
  const mod = wabt.parseWat(`${name}.wat`, source, { bulk_memory: true, sign_extension: true, multi_value: true, mutable_globals: true });
  mod.validate();
  const path = join(dir, `${name}-${n++}.wasm`);
  writeFileSync(path, mod.toBinary({}).buffer);
  return path;
}

export function agentFor(id: string, module: string, env: Record<string, string> = {}): WasmAgentSpec {
  return {
    id, runtime: 'wasm', module, env, limits: {}, baseDir: dir,
    manifest: { name: id, version: '0', description: 'test', capabilities: [], requirements: {} },
  };
}

export const LIMITS: Limits = {
  timeoutMs: 5000, memoryBytes: 16 * 1024 * 1024, cpuMillis: 5000, fuel: 1e9, pids: 1, outputBytes: 64 * 1024,
};

let taskNo = 0;
export function taskFor(agent: WasmAgentSpec, input: unknown = { x: 1 }, limits: Partial<Limits> = {}): ExecutionTask {
  return { taskId: `t${taskNo++}`, agentId: agent.id, capability: 'echo', input, limits: { ...LIMITS, ...limits } };
}

/** Escapes bytes (or a string's UTF-8) into a WAT data string literal. */
export function watString(s: string | Uint8Array): string {
  return [...(typeof s === 'string' ? Buffer.from(s) : s)].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
}

/**
 * A seed-ABI module whose execute_task runs `pre` (WAT instructions) and then returns the constant
 * result document `result`. `extra` adds module fields (functions, imports).
 */
export function seedModule(pre: string, result = '{"output":1}', extra = '', memory = '1'): string {
  const doc = Buffer.from(result);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(doc.length);
  return `(module
    ${extra}
    (memory (export "memory") ${memory})
    (global $heap (mut i32) (i32.const 4096))
    (data (i32.const 0) "${watString(len)}${watString(doc)}")
    (func $alloc (export "alloc") (param $n i32) (result i32) (local $p i32)
      (local.set $p (global.get $heap))
      (global.set $heap (i32.add (global.get $heap) (local.get $n)))
      (local.get $p))
    (func (export "execute_task") (param $p i32) (param $n i32) (result i32)
      ${pre}
      (i32.const 0)))`;
}
