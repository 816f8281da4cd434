// The pool's end of the shared-memory channel (shared/channel-layout.ts): rings requests in, watches results come out.
import type { ExecutionResult } from '../../../contract/outcome.js';
import { CHANNEL_AVAILABLE, channelViews, CTL, decoder, encoder, jsonSafe, waitAsync } from '../shared/channel-layout.js';
import type { RunRequest } from '../shared/worker-protocol.js';

export class ChannelHost {
  private readonly ctl: Int32Array;
  private readonly req: Uint8Array;
  private readonly res: Uint8Array;
  private released = false;
  private seen = 0;
  private onResult: ((jobId: number, result: ExecutionResult, logs: string[]) => void) | undefined;

  constructor(buffer: SharedArrayBuffer) {
    ({ ctl: this.ctl, req: this.req, res: this.res } = channelViews(buffer));
  }

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

  /** Wakes the worker for a message just posted on its port. */
  ringForPort(): void {
    this.ring(1, 0, 0);
  }

  /** The worker is asleep waiting for work (not still busy, e.g. building a spare instance). */
  workerAsleep(): boolean {
    return Atomics.load(this.ctl, CTL.REQ_SLEEPING) === 1;
  }

  /** Calls `onResult` for every result the worker writes (with the log lines that precede it), until release(). */
  watchResults(onResult: (jobId: number, result: ExecutionResult, logs: string[]) => void): void {
    if (!CHANNEL_AVAILABLE) return;
    this.onResult = onResult;
    this.seen = Atomics.load(this.ctl, CTL.RES_SEQ);
    const step = (): void => {
      if (this.released) return;
      this.takeResult();
      const w = waitAsync!(this.ctl, CTL.RES_SEQ, this.seen);
      if (w.async) void w.value.then(step);
      else queueMicrotask(step);
    };
    step();
  }

  /** Delivers a result the worker has written but the event loop has not picked up yet (before giving up on it). */
  takeResult(): void {
    const seq = Atomics.load(this.ctl, CTL.RES_SEQ);
    if (seq === this.seen || !this.onResult) return;
    this.seen = seq;
    const text = decoder.decode(this.res.subarray(0, this.ctl[CTL.RES_LEN]));
    const { r, l } = JSON.parse(text) as { r: ExecutionResult; l: string[] };
    this.onResult(this.ctl[CTL.RES_JOB]!, r, l);
  }

  /** Ends watchResults (its pending wait is woken so nothing is left behind). */
  release(): void {
    this.released = true;
    Atomics.notify(this.ctl, CTL.RES_SEQ);
  }

  private ring(viaPort: number, head: number, doc: number): void {
    this.ctl[CTL.REQ_VIA_PORT] = viaPort;
    this.ctl[CTL.REQ_HEAD] = head;
    this.ctl[CTL.REQ_DOC] = doc;
    Atomics.add(this.ctl, CTL.REQ_SEQ, 1);
    // Sequentially consistent: a worker that set REQ_SLEEPING after this load sees the new REQ_SEQ and does not sleep.
    if (Atomics.load(this.ctl, CTL.REQ_SLEEPING) === 1) Atomics.notify(this.ctl, CTL.REQ_SEQ);
  }
}
