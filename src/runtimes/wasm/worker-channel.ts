// The shared-memory fast path between the pool and one worker: a request area and a result area in one
// SharedArrayBuffer, doorbells through Atomics (postMessage costs tens of µs a call on a busy 2-core host).
import type { ExecutionResult } from '../../contract/outcome.js';
import type { RunRequest } from './worker-protocol.js';

/** Int32 slots of the control block. */
const REQ_SEQ = 0; // bumped by the pool for every request; the idle worker sleeps on it
const REQ_VIA_PORT = 1; // 1: this request was posted on the port (module attached, or too big for the area)
const REQ_HEAD = 2; // bytes of the JSON header (the request without its document)
const REQ_DOC = 3; // bytes of the document that follows it
const RES_SEQ = 4; // bumped by the worker for every result written to the result area
const RES_JOB = 5;
const RES_LEN = 6;
const REQ_SLEEPING = 7; // 1 while the worker sleeps on REQ_SEQ: only then is a (costly) notify needed
const CTL_BYTES = 32;
/** Room for one request and one result; anything larger travels by postMessage. */
const AREA_BYTES = 64 * 1024;

type WaitAsync = (a: Int32Array, i: number, v: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** False when this Node has no Atomics.waitAsync (or ARI_WASM_CHANNEL=0): every message then goes by postMessage. */
export const CHANNEL_AVAILABLE = typeof waitAsync === 'function' && process.env.ARI_WASM_CHANNEL !== '0';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON keeps every number of a request except a non-finite one (it would arrive as null). */
function jsonSafe(req: RunRequest): boolean {
  if (!Number.isFinite(req.deadline)) return false;
  for (const k in req.limits) if (!Number.isFinite(req.limits[k as keyof RunRequest['limits']])) return false;
  return true;
}

export function createChannelBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(CTL_BYTES + 2 * AREA_BYTES);
}

export class WorkerChannel {
  private readonly ctl: Int32Array;
  private readonly req: Uint8Array;
  private readonly res: Uint8Array;
  private released = false;
  /** The last REQ_SEQ the worker has taken. */
  private workerSeen = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.ctl = new Int32Array(buffer, 0, CTL_BYTES / 4);
    this.req = new Uint8Array(buffer, CTL_BYTES, AREA_BYTES);
    this.res = new Uint8Array(buffer, CTL_BYTES + AREA_BYTES, AREA_BYTES);
  }

  // ---- pool side ----

  /** Writes `req` into the request area and wakes the worker; false when it does not fit (post it instead). */
  sendRequest(req: RunRequest): boolean {
    if (!CHANNEL_AVAILABLE || req.module || !jsonSafe(req)) return false;
    const head = JSON.stringify({ ...req, document: undefined });
    const h = encoder.encodeInto(head, this.req);
    if (h.read !== head.length) return false;
    const d = encoder.encodeInto(req.document, this.req.subarray(h.written));
    if (d.read !== req.document.length) return false;
    this.ring(0, h.written, d.written);
    return true;
  }

  /** Wakes the worker for a request just posted on its port. */
  ringForPort(): void {
    this.ring(1, 0, 0);
  }

  /** The worker is asleep waiting for work (not still busy, e.g. building a spare instance). */
  workerAsleep(): boolean {
    return Atomics.load(this.ctl, REQ_SLEEPING) === 1;
  }

  /** Calls `onResult` for every result the worker writes (with the log lines that precede it), until release(). */
  watchResults(onResult: (jobId: number, result: ExecutionResult, logs: string[]) => void): void {
    if (!CHANNEL_AVAILABLE) return;
    let seen = Atomics.load(this.ctl, RES_SEQ);
    const step = (): void => {
      if (this.released) return;
      const seq = Atomics.load(this.ctl, RES_SEQ);
      if (seq !== seen) {
        seen = seq;
        const text = decoder.decode(this.res.subarray(0, this.ctl[RES_LEN]));
        const { r, l } = JSON.parse(text) as { r: ExecutionResult; l: string[] };
        onResult(this.ctl[RES_JOB]!, r, l);
      }
      const w = waitAsync!(this.ctl, RES_SEQ, seen);
      if (w.async) void w.value.then(step);
      else queueMicrotask(step);
    };
    step();
  }

  /** Ends watchResults (its pending wait is woken so nothing is left behind). */
  release(): void {
    this.released = true;
    Atomics.notify(this.ctl, RES_SEQ);
  }

  private ring(viaPort: number, head: number, doc: number): void {
    this.ctl[REQ_VIA_PORT] = viaPort;
    this.ctl[REQ_HEAD] = head;
    this.ctl[REQ_DOC] = doc;
    Atomics.add(this.ctl, REQ_SEQ, 1);
    // Sequentially consistent: a worker that set REQ_SLEEPING after this load sees the new REQ_SEQ and does not sleep.
    if (Atomics.load(this.ctl, REQ_SLEEPING) === 1) Atomics.notify(this.ctl, REQ_SEQ);
  }

  // ---- worker side ----

  /** Blocks until the pool rings; returns the request, or 'port' when it was posted on the port. */
  nextRequest(): RunRequest | 'port' {
    const seen = this.workerSeen;
    Atomics.store(this.ctl, REQ_SLEEPING, 1);
    Atomics.wait(this.ctl, REQ_SEQ, seen);
    Atomics.store(this.ctl, REQ_SLEEPING, 0);
    this.workerSeen = Atomics.load(this.ctl, REQ_SEQ);
    if (this.ctl[REQ_VIA_PORT] === 1) return 'port';
    const head = this.ctl[REQ_HEAD]!;
    const req = JSON.parse(decoder.decode(this.req.subarray(0, head))) as RunRequest;
    req.document = decoder.decode(this.req.subarray(head, head + this.ctl[REQ_DOC]!));
    return req;
  }

  /** True when the pool has rung since the last nextRequest(). */
  requestWaiting(): boolean {
    return Atomics.load(this.ctl, REQ_SEQ) !== this.workerSeen;
  }

  /** Writes a result and the log lines not yet posted, and wakes the pool; false when they do not fit (post them). */
  sendResult(jobId: number, result: ExecutionResult, logs: string[]): boolean {
    if (!CHANNEL_AVAILABLE) return false;
    let text: string;
    try {
      text = JSON.stringify({ r: result, l: logs });
    } catch {
      return false;
    }
    const w = encoder.encodeInto(text, this.res);
    if (w.read !== text.length) return false;
    this.ctl[RES_JOB] = jobId;
    this.ctl[RES_LEN] = w.written;
    Atomics.add(this.ctl, RES_SEQ, 1);
    Atomics.notify(this.ctl, RES_SEQ);
    return true;
  }
}
