// A minimal WASI preview1 host with no ambient authority: stdin = the task, stdout captured and capped,
// stderr = logs, clocks and randomness; no files, no preopens, no sockets (node:wasi is not used: it can reach the host).
// Every call is charged fuel before it works, in proportion to the iovecs and bytes it touches.
import { randomFillSync } from 'node:crypto';
import { WASI_MODULE } from '../shared/abi-names.js';
import { HOST_CHUNK_BYTES, HOST_FUEL } from '../shared/fuel-costs.js';
import { GuestMemory, IOV_MAX, MemoryFault } from './guest-memory.js';
import { OutputSink } from './output-sink.js';
import { OutputLimitExceeded, ProcExit } from '../shared/outcome-markers.js';
import type { TaskContext } from './task-context.js';
import {
  ERRNO, FILETYPE_CHARACTER_DEVICE, RIGHT_FD_READ, RIGHT_FD_WRITE, RIGHT_POLL_FD_READWRITE, refusalFor,
} from './wasi-errno.js';

const MAX_LOG_WRITE = 64 * 1024;
const utf8 = new TextDecoder('utf-8');
type HostFn = (...args: never[]) => number | void;

/** Packs NUL-terminated strings for args_get / environ_get. */
function packStrings(items: string[]): { encoded: Uint8Array[]; size: number } {
  const encoded = items.map((s) => Buffer.from(`${s}\0`));
  return { encoded, size: encoded.reduce((n, b) => n + b.length, 0) };
}

export class WasiPreview1 {
  readonly stdout: OutputSink;
  private readonly stdin: Buffer;
  private stdinPos = 0;
  private mem: GuestMemory | undefined;
  private readonly args: ReturnType<typeof packStrings>;
  private readonly environ: ReturnType<typeof packStrings>;

  constructor(private readonly ctx: TaskContext) {
    this.stdout = new OutputSink(ctx.req.limits.outputBytes);
    this.stdin = Buffer.from(ctx.req.document);
    this.args = packStrings([ctx.req.agentId]);
    this.environ = packStrings(Object.entries(ctx.req.env).map(([k, v]) => `${k}=${v}`));
  }

  bindMemory(memory: WebAssembly.Memory | undefined): void {
    this.mem = memory ? new GuestMemory(memory) : undefined;
  }

  /** An import object covering every wasi function the module declares; unknown ones are refused. */
  importsFor(module: WebAssembly.Module): WebAssembly.Imports {
    const known = this.functions();
    const ns: Record<string, HostFn> = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.module !== WASI_MODULE) continue;
      const fn = known[imp.name];
      const refusal = refusalFor(imp.name);
      ns[imp.name] = fn ? this.guard(fn) : () => refusal;
    }
    return { [WASI_MODULE]: ns };
  }

  /** Charges the call's flat price, and turns a bad guest pointer into EFAULT instead of an exception. */
  private guard(fn: HostFn): HostFn {
    return (...args: never[]) => {
      this.ctx.meter.charge(HOST_FUEL.perCall);
      try {
        return fn(...args);
      } catch (e) {
        if (e instanceof MemoryFault) return ERRNO.FAULT;
        throw e;
      }
    };
  }

  private memory(): GuestMemory {
    if (!this.mem) throw new MemoryFault('module exports no memory');
    return this.mem;
  }

  private writeStrings(packed: ReturnType<typeof packStrings>, ptrs: number, buf: number): number {
    const m = this.memory();
    let at = buf >>> 0;
    packed.encoded.forEach((s, i) => {
      m.setU32(ptrs + i * 4, at);
      m.write(at, s);
      at += s.length;
    });
    return ERRNO.SUCCESS;
  }

  private functions(): Record<string, HostFn> {
    const sizes = (packed: ReturnType<typeof packStrings>) => (countPtr: number, sizePtr: number) => {
      this.memory().setU32(countPtr, packed.encoded.length);
      this.memory().setU32(sizePtr, packed.size);
      return ERRNO.SUCCESS;
    };
    return {
      args_sizes_get: sizes(this.args),
      args_get: (ptrs: number, buf: number) => this.writeStrings(this.args, ptrs, buf),
      environ_sizes_get: sizes(this.environ),
      environ_get: (ptrs: number, buf: number) => this.writeStrings(this.environ, ptrs, buf),
      fd_read: (fd: number, iovs: number, count: number, nread: number) => this.fdRead(fd, iovs, count, nread),
      fd_write: (fd: number, iovs: number, count: number, nwritten: number) => this.fdWrite(fd, iovs, count, nwritten),
      fd_fdstat_get: (fd: number, ptr: number) => this.fdstat(fd, ptr),
      fd_prestat_get: () => ERRNO.BADF,
      fd_prestat_dir_name: () => ERRNO.BADF,
      fd_close: (fd: number) => (fd >= 0 && fd <= 2 ? ERRNO.SUCCESS : ERRNO.BADF),
      fd_seek: (fd: number) => (fd >= 0 && fd <= 2 ? ERRNO.SPIPE : ERRNO.BADF),
      fd_tell: (fd: number) => (fd >= 0 && fd <= 2 ? ERRNO.SPIPE : ERRNO.BADF),
      clock_time_get: (id: number, _precision: bigint, ptr: number) => this.clockTime(id, ptr),
      clock_res_get: (id: number, ptr: number) => {
        if (id < 0 || id > 3) return ERRNO.INVAL;
        this.memory().setU64(ptr, id === 0 ? 1_000_000n : 1_000n);
        return ERRNO.SUCCESS;
      },
      random_get: (buf: number, len: number) => {
        // In chunks, each charged first: the deadline is looked at between them, however long the call.
        const view = this.memory().bytes(buf, len);
        for (let at = 0; at < view.length; at += HOST_CHUNK_BYTES) {
          const part = view.subarray(at, at + HOST_CHUNK_BYTES);
          this.ctx.meter.charge(Math.ceil(part.length / HOST_FUEL.bytesPerUnit));
          randomFillSync(part);
        }
        return ERRNO.SUCCESS;
      },
      proc_exit: (code: number) => {
        throw new ProcExit(code >>> 0);
      },
      sched_yield: () => ERRNO.SUCCESS,
    };
  }

  /** The iovecs of one call, charged per vector and per byte before any is touched; undefined = EINVAL. */
  private vectors(iovs: number, count: number, bytesOf: (claimed: number) => number): Uint8Array[] | undefined {
    if (count >>> 0 > IOV_MAX) return undefined;
    this.ctx.meter.charge((count >>> 0) * HOST_FUEL.perIovec);
    const { views, bytes } = this.memory().iovecs(iovs, count);
    this.ctx.meter.charge(Math.ceil(bytesOf(bytes) / HOST_FUEL.bytesPerUnit));
    return views;
  }

  private fdRead(fd: number, iovs: number, count: number, nread: number): number {
    if (fd !== 0) return ERRNO.BADF;
    const views = this.vectors(iovs, count, (claimed) => Math.min(claimed, this.stdin.length - this.stdinPos));
    if (!views) return ERRNO.INVAL;
    let total = 0;
    for (const iov of views) {
      const n = Math.min(iov.length, this.stdin.length - this.stdinPos);
      iov.set(this.stdin.subarray(this.stdinPos, this.stdinPos + n));
      this.stdinPos += n;
      total += n;
      if (n < iov.length) break;
    }
    this.memory().setU32(nread, total);
    return ERRNO.SUCCESS;
  }

  private fdWrite(fd: number, iovs: number, count: number, nwritten: number): number {
    if (fd !== 1 && fd !== 2) return ERRNO.BADF;
    // stdout copies everything offered (up to the cap); stderr decodes at most MAX_LOG_WRITE bytes a call.
    const views = this.vectors(iovs, count, (claimed) => (fd === 1 ? claimed : Math.min(claimed, MAX_LOG_WRITE)));
    if (!views) return ERRNO.INVAL;
    let total = 0;
    let logRoom = MAX_LOG_WRITE;
    for (const iov of views) {
      total += iov.length;
      if (fd === 1) {
        if (!this.stdout.push(iov)) throw new OutputLimitExceeded(this.stdout.cap, this.stdout.total);
      } else if (logRoom > 0) {
        const part = iov.subarray(0, logRoom);
        logRoom -= part.length;
        this.ctx.log(utf8.decode(part));
      }
    }
    this.memory().setU32(nwritten, total);
    return ERRNO.SUCCESS;
  }

  private fdstat(fd: number, ptr: number): number {
    if (fd < 0 || fd > 2) return ERRNO.BADF;
    const v = this.memory().view(ptr, 24);
    v.setUint8(0, FILETYPE_CHARACTER_DEVICE);
    v.setUint16(2, 0, true);
    v.setBigUint64(8, (fd === 0 ? RIGHT_FD_READ : RIGHT_FD_WRITE) | RIGHT_POLL_FD_READWRITE, true);
    v.setBigUint64(16, 0n, true);
    return ERRNO.SUCCESS;
  }

  private clockTime(id: number, ptr: number): number {
    if (id === 0) this.memory().setU64(ptr, BigInt(Date.now()) * 1_000_000n);
    else if (id >= 1 && id <= 3) this.memory().setU64(ptr, process.hrtime.bigint());
    else return ERRNO.INVAL;
    return ERRNO.SUCCESS;
  }
}
