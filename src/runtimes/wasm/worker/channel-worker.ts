// The worker's end of the shared-memory channel (shared/channel-layout.ts): sleeps for requests, writes results.
import type { ExecutionResult } from '../../../contract/outcome.js';
import { CHANNEL_AVAILABLE, channelViews, CTL, decoder, encoder } from '../shared/channel-layout.js';
import type { RunRequest } from '../shared/worker-protocol.js';

export class ChannelWorker {
  private readonly ctl: Int32Array;
  private readonly req: Uint8Array;
  private readonly res: Uint8Array;
  /** The last REQ_SEQ the worker has taken. */
  private seen = 0;

  constructor(buffer: SharedArrayBuffer) {
    ({ ctl: this.ctl, req: this.req, res: this.res } = channelViews(buffer));
  }

  /** Blocks until the pool rings; returns the request, or 'port' when it was posted on the port. */
  nextRequest(): RunRequest | 'port' {
    Atomics.store(this.ctl, CTL.REQ_SLEEPING, 1);
    Atomics.wait(this.ctl, CTL.REQ_SEQ, this.seen);
    Atomics.store(this.ctl, CTL.REQ_SLEEPING, 0);
    this.seen = Atomics.load(this.ctl, CTL.REQ_SEQ);
    if (this.ctl[CTL.REQ_VIA_PORT] === 1) return 'port';
    const head = this.ctl[CTL.REQ_HEAD]!;
    const req = JSON.parse(decoder.decode(this.req.subarray(0, head))) as RunRequest;
    req.document = decoder.decode(this.req.subarray(head, head + this.ctl[CTL.REQ_DOC]!));
    return req;
  }

  /** True when the pool has rung since the last nextRequest(). */
  requestWaiting(): boolean {
    return Atomics.load(this.ctl, CTL.REQ_SEQ) !== this.seen;
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
    this.ctl[CTL.RES_JOB] = jobId;
    this.ctl[CTL.RES_LEN] = w.written;
    Atomics.add(this.ctl, CTL.RES_SEQ, 1);
    Atomics.notify(this.ctl, CTL.RES_SEQ);
    return true;
  }
}
