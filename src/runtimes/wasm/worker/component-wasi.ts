// WASI preview 2 for component tasks: preview2-shim as a sandbox (no preopens, no sockets, only the agent's env
// and args, no host cwd), stdin = the task, stdout captured and capped, stderr = logs, exit = an unwind, and
// wasi:http only through the task's egress proxy endpoint (component-http.ts; denied without one).
// Stream calls are charged fuel in proportion to their bytes (jco has already copied a write's bytes out of guest
// memory when we see it; that copy is bounded by the guest's memory).
// Imported lazily by the worker: loading preview2-shim starts its own I/O helper thread.
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { streams } from '@bytecodealliance/preview2-shim/io';
import { hostCost } from '../shared/fuel-costs.js';
import { OutputLimitExceeded, ProcExit } from '../shared/outcome-markers.js';
import { OutputSink } from './output-sink.js';
import { httpImports } from './component-http.js';
import type { EgressTarget } from '../shared/worker-protocol.js';

/** Largest write a guest may ask for at once (what `check-write` grants); WASI commands chunk to it. */
const WRITE_CHUNK = 65536n;
const MAX_LOG_WRITE = 64 * 1024;
const utf8 = new TextDecoder('utf-8');

/** wasi:io stream-error `closed`: a plain object, so jco lowers it as the `err` case instead of trapping. */
const CLOSED = { tag: 'closed' };

type Write = (buf: Uint8Array) => void;
const BaseOutput = streams.OutputStream as unknown as new () => object;
const BaseInput = streams.InputStream as unknown as new () => object;

/** wasi:sockets error-code `access-denied`: a plain string, so jco lowers it as the `err` case. */
function denySocket(): never {
  throw 'access-denied';
}

/** WASI caps a write at what check-write granted; a larger request is the guest's bug (a trap), never a huge allocation. */
function zeroes(len: bigint): Uint8Array {
  if (len > WRITE_CHUNK) throw new Error(`write-zeroes of ${len} bytes exceeds the ${WRITE_CHUNK}-byte check-write permit`);
  return new Uint8Array(Number(len));
}

/** An output stream that never reaches the host: every write goes to `sink`. No pollables (they need the shim's I/O thread). */
class SinkOutput extends BaseOutput {
  constructor(private readonly sink: Write) { super(); }
  checkWrite(): bigint { return WRITE_CHUNK; }
  write(buf: Uint8Array): void { this.sink(buf); }
  blockingWriteAndFlush(buf: Uint8Array): void { this.sink(buf); }
  flush(): void {}
  blockingFlush(): void {}
  writeZeroes(len: bigint): void { this.sink(zeroes(len)); }
  blockingWriteZeroesAndFlush(len: bigint): void { this.sink(zeroes(len)); }
  subscribe(): never { throw new Error('wasi:io/streams subscribe is not supported on stdout/stderr'); }
}

/** Stdin handed out before the task is bound: reads whatever input the task binds later. */
class ProxyInput extends BaseInput {
  constructor(private readonly current: () => FixedInput) { super(); }
  read(len: bigint): Uint8Array { return this.current().read(len); }
  blockingRead(len: bigint): Uint8Array { return this.current().read(len); }
  skip(len: bigint): bigint { return this.current().skip(len); }
  blockingSkip(len: bigint): bigint { return this.current().skip(len); }
  subscribe(): never { throw new Error('wasi:io/streams subscribe is not supported on stdin'); }
}

/** Stdin: the task document, then `closed`. */
class FixedInput {
  private pos = 0;
  constructor(private readonly data: Buffer, private readonly charge: (units: number) => void) {}
  read(len: bigint): Uint8Array {
    if (this.pos >= this.data.length) throw CLOSED;
    const n = Math.min(Number(len), this.data.length - this.pos);
    this.charge(hostCost(n));
    const out = new Uint8Array(this.data.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }
  skip(len: bigint): bigint { return BigInt(this.read(len).length); }
}

/** What one task binds into a (possibly pre-instantiated) component's WASI. */
export interface ComponentWasiTask {
  agentId: string;
  env: Record<string, string>;
  stdin: string;
  outputBytes: number;
  log: (text: string) => void;
  /** Charges host work to the task's fuel meter (throws its stop marker when the task must end). */
  charge: (units: number) => void;
  /** The task's egress proxy endpoint, when it may use the network. */
  egress?: EgressTarget;
}

/**
 * Built before its task is known (a worker may pre-instantiate the next task's component while idle): every
 * host function reads the task through `bind`, and refuses to do anything before it.
 */
export class ComponentWasi {
  stdout = new OutputSink(0);
  private task: ComponentWasiTask | undefined;
  private stdin = new FixedInput(Buffer.alloc(0), () => {});
  private env: [string, string][] = [];
  private args: string[] = [];
  // enableNetwork must be false explicitly: preview2-shim defaults it to true.
  private readonly shim = new WASIShim({ sandbox: { preopens: {}, env: {}, args: [], enableNetwork: false } });

  bind(task: ComponentWasiTask): void {
    this.task = task;
    this.stdout = new OutputSink(task.outputBytes);
    this.stdin = new FixedInput(Buffer.from(task.stdin), task.charge);
    this.env = Object.entries(task.env);
    this.args = [task.agentId];
  }

  /** Host work of a stream call, charged before it is done; nothing runs before a task is bound. */
  private charged(bytes: number): void {
    if (!this.task) throw new Error('component WASI used before its task was bound');
    this.task.charge(hostCost(bytes));
  }

  /** The import object for jco's `instantiate` (unversioned interface names, as jco's glue asks for them). */
  imports(): Record<string, unknown> {
    const imports = this.shim.getImportObject() as unknown as Record<string, unknown>;
    const stdout = new SinkOutput((buf) => {
      this.charged(buf.length);
      if (!this.stdout.push(buf)) throw new OutputLimitExceeded(this.stdout.cap, this.stdout.total);
    });
    const stderr = new SinkOutput((buf) => {
      const part = buf.subarray(0, MAX_LOG_WRITE);
      this.charged(part.length);
      this.task?.log(utf8.decode(part));
    });
    const stdin = new ProxyInput(() => this.stdin);
    return {
      ...imports,
      'wasi:cli/environment': { getEnvironment: () => this.env, getArguments: () => this.args, initialCwd: () => undefined },
      // The shim's exit calls process.exit, which would end the worker thread: unwind the instance instead.
      'wasi:cli/exit': {
        exit: (status: { tag: string }) => { throw new ProcExit(status.tag === 'err' ? 1 : 0); },
        exitWithCode: (code: number) => { throw new ProcExit(code >>> 0); },
      },
      // With network off the shim still creates sockets (real handles in its I/O thread) and only refuses
      // connect/bind: refuse creation itself, so a guest cannot pile up host handles either.
      'wasi:sockets/tcp-create-socket': { createTcpSocket: denySocket },
      'wasi:sockets/udp-create-socket': { createUdpSocket: denySocket },
      // Replaces the shim's wasi:http (its outgoing-handler is a real Node HTTP client, or with network off a bare
      // throw jco cannot lower): denied as an error-code without a policy, through the proxy with one.
      ...httpImports(() => this.task),
      'wasi:cli/stdin': { getStdin: () => stdin },
      'wasi:cli/stdout': { getStdout: () => stdout },
      'wasi:cli/stderr': { getStderr: () => stderr },
    };
  }
}
