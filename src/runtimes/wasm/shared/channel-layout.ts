// Layout of the shared-memory fast path between the pool and one worker: a control block, a request area and a
// result area in one SharedArrayBuffer, doorbells through Atomics (postMessage costs tens of µs on a busy host).
import type { RunRequest } from './worker-protocol.js';

/** Int32 slots of the control block. */
export const CTL = {
  REQ_SEQ: 0, // bumped by the pool for every request; the idle worker sleeps on it
  REQ_VIA_PORT: 1, // 1: this request was posted on the port (module attached, or too big for the area)
  REQ_HEAD: 2, // bytes of the JSON header (the request without its document)
  REQ_DOC: 3, // bytes of the document that follows it
  RES_SEQ: 4, // bumped by the worker for every result written to the result area
  RES_JOB: 5,
  RES_LEN: 6,
  REQ_SLEEPING: 7, // 1 while the worker sleeps on REQ_SEQ: only then is a (costly) notify needed
} as const;
const CTL_BYTES = 32;
/** Room for one request and one result; anything larger travels by postMessage. */
const AREA_BYTES = 64 * 1024;

type WaitAsync = (a: Int32Array, i: number, v: number) => { async: false; value: string } | { async: true; value: Promise<string> };
export const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** False when this Node has no Atomics.waitAsync (or ARI_WASM_CHANNEL=0): every message then goes by postMessage. */
export const CHANNEL_AVAILABLE = typeof waitAsync === 'function' && process.env.ARI_WASM_CHANNEL !== '0';

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();

export function createChannelBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(CTL_BYTES + 2 * AREA_BYTES);
}

/** The three views both ends use over one channel buffer. */
export function channelViews(buffer: SharedArrayBuffer): { ctl: Int32Array; req: Uint8Array; res: Uint8Array } {
  return {
    ctl: new Int32Array(buffer, 0, CTL_BYTES / 4),
    req: new Uint8Array(buffer, CTL_BYTES, AREA_BYTES),
    res: new Uint8Array(buffer, CTL_BYTES + AREA_BYTES, AREA_BYTES),
  };
}

/** JSON keeps every number of a request except a non-finite one (it would arrive as null). */
export function jsonSafe(req: RunRequest): boolean {
  if (!Number.isFinite(req.deadline)) return false;
  for (const k in req.limits) if (!Number.isFinite(req.limits[k as keyof RunRequest['limits']])) return false;
  return true;
}
