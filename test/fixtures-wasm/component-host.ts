// A minimal jco host for the fixture tests: transpile a component, instantiate it with a sandboxed
// preview2-shim (no preopens, network off, captured stdio), run it once.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { streams } from '@bytecodealliance/preview2-shim/io';

type Instantiate = (
  getCoreModule: (name: string) => Promise<WebAssembly.Module>,
  imports: Record<string, unknown>,
) => Promise<Record<string, any>>;

export interface Transpiled {
  imports: string[];
  exports: string[];
  instantiate: Instantiate;
  coreModules: Record<string, Uint8Array<ArrayBuffer>>;
  /** Where the generated `agent.js` stays when asked to keep it (for a worker to import); else undefined. */
  dir?: string;
}

export async function transpileComponent(path: string, keep = false): Promise<Transpiled> {
  const { files, imports, exports } = await transpileBytes(await readFile(path), { name: 'agent', instantiation: 'async' });
  const dir = await mkdtemp(join(tmpdir(), 'ari-fixture-'));
  try {
    const coreModules: Record<string, Uint8Array<ArrayBuffer>> = {};
    for (const [name, bytes] of Object.entries(files)) {
      if (name.endsWith('.wasm')) coreModules[name] = bytes as Uint8Array<ArrayBuffer>;
      if (name.endsWith('.js')) await writeFile(join(dir, name), bytes);
    }
    const mod = await import(pathToFileURL(join(dir, 'agent.js')).href);
    return { imports, exports: exports.map(([n]) => n), instantiate: mod.instantiate, coreModules, dir: keep ? dir : undefined };
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
}

class CapturedOutput extends (streams.OutputStream as any) {
  chunks: Buffer[] = [];
  bytes = 0;
  constructor(readonly cap: number) { super(); }
  checkWrite(): bigint { return 1n << 20n; }
  write(buf: Uint8Array): void {
    this.bytes += buf.byteLength;
    if (this.bytes > this.cap) throw { tag: 'closed' };
    this.chunks.push(Buffer.from(buf));
  }
  blockingWriteAndFlush(buf: Uint8Array): void { this.write(buf); }
  flush(): void {}
  blockingFlush(): void {}
  text(): string { return Buffer.concat(this.chunks).toString('utf8'); }
}

class FixedInput extends (streams.InputStream as any) {
  constructor(private data: Buffer) { super(); }
  read(len: bigint): Uint8Array {
    if (this.data.length === 0) throw { tag: 'closed' };
    const n = Math.min(Number(len), this.data.length);
    const out = this.data.subarray(0, n);
    this.data = this.data.subarray(n);
    return out;
  }
  blockingRead(len: bigint): Uint8Array { return this.read(len); }
}

export interface CommandRun { exitOk: boolean; stdout: string; stderr: string; stdoutBytes: number; error?: unknown }

/** Runs a wasi:cli/run component with `stdin`; stdout kept up to `cap` bytes (the write past it fails). */
export async function runCommand(t: Transpiled, stdin: string, cap = 1 << 20): Promise<CommandRun> {
  const stdout = new CapturedOutput(cap);
  const stderr = new CapturedOutput(cap);
  const input = new FixedInput(Buffer.from(stdin));
  const shim = new WASIShim({ sandbox: { preopens: {}, env: {}, args: ['agent'], enableNetwork: false } } as any);
  const imports: Record<string, any> = shim.getImportObject();
  for (const key of Object.keys(imports)) {
    if (key.startsWith('wasi:cli/stdin')) imports[key] = { getStdin: () => input };
    if (key.startsWith('wasi:cli/stdout')) imports[key] = { getStdout: () => stdout };
    if (key.startsWith('wasi:cli/stderr')) imports[key] = { getStderr: () => stderr };
  }
  const instance = await t.instantiate(async (name) => WebAssembly.compile(t.coreModules[name]), imports);
  const run = instance.run ?? instance['wasi:cli/run@0.2.12'] ?? Object.values(instance)[0];
  try {
    run.run();
    return { exitOk: true, stdout: stdout.text(), stderr: stderr.text(), stdoutBytes: stdout.bytes };
  } catch (error) {
    return { exitOk: false, stdout: stdout.text(), stderr: stderr.text(), stdoutBytes: stdout.bytes, error };
  }
}
