// wasi:http for component tasks: outgoing-handler.handle is HTTP-request-denied unless the task has an egress
// endpoint, and then every request goes to that endpoint only (http-io-extension.ts, in the shim's I/O thread), so the
// proxy does policy, DNS, address checks, SNI, accounting and budgets exactly as for the other backends.
// The guest-facing resources are ours (the shim's keep their I/O-thread state private); Fields and RequestOptions
// are the shim's. Bodies are the shim's generic I/O-thread streams, so wasi:io/poll works on them unchanged.
import { clocks } from '@bytecodealliance/preview2-shim';
import { types as shimTypes } from '@bytecodealliance/preview2-shim/http';
import {
  callExtension, futureDispose, futureSubscribe, futureTakeValue, inputStreamCreate, outputStreamCreate,
} from '@bytecodealliance/preview2-shim/io-worker';
import { hostCost } from '../shared/fuel-costs.js';
import { extensionUrl } from './http-extension-url.js';
import type { EgressTarget } from '../shared/worker-protocol.js';
import type { ErrorCode, HttpAnswer, HttpCall } from './http-io-extension.js';

/** What the handler reads from the task bound at call time (instances may be built before their task). */
export interface HttpTask {
  egress?: EgressTarget;
  charge: (units: number) => void;
}

type Charge = (units: number) => void;
type Variant = { tag: string; val?: string };
type Stream = Record<string, (...args: any[]) => any>;

const DENIED: ErrorCode = { tag: 'HTTP-request-denied' };
const IMMUTABLE = { tag: 'immutable' };
/** Names the shim's Fields refuses (hop-by-hop, and Host, which the handler sets from the authority). */
const FORBIDDEN = new Set(['connection', 'keep-alive', 'host']);
const Fields = shimTypes.Fields as unknown as new () => { append(k: string, v: Uint8Array): void; entries(): [string, Uint8Array][] };
const latin1 = new TextDecoder('latin1');
const encoder = new TextEncoder();

/** Immutable fields (a request's headers once it is built, every response's): set/append/delete refuse. */
class SealedFields extends Fields {
  #sealed = false;
  constructor(pairs: Iterable<[string, Uint8Array]>) {
    super();
    for (const [k, v] of pairs) {
      try { if (!FORBIDDEN.has(k.toLowerCase())) super.append(k, v); } catch { /* a value the shim's rules refuse is dropped */ }
    }
    this.#sealed = true;
  }
  override append(k: string, v: Uint8Array): void { if (this.#sealed) throw IMMUTABLE; super.append(k, v); }
  set(): never { throw IMMUTABLE; }
  delete(): never { throw IMMUTABLE; }
}

/** Charges a shim stream's bytes to the task's fuel, like stdin/stdout (the bytes crossed the host either way). */
function charged(stream: Stream, charge: Charge, reads: boolean): Stream {
  const wrap = (name: string, bytes: (arg: any, out: any) => number) => {
    const inner = stream[name]!.bind(stream);
    stream[name] = (...args: any[]) => {
      if (!reads) charge(hostCost(bytes(args[0], undefined)));
      const out = inner(...args);
      if (reads) charge(hostCost(bytes(args[0], out)));
      return out;
    };
  };
  if (reads) for (const m of ['read', 'blockingRead']) wrap(m, (_len, out: Uint8Array) => out.length);
  else for (const m of ['write', 'blockingWriteAndFlush']) wrap(m, (buf: Uint8Array) => buf.length);
  if (reads) for (const m of ['skip', 'blockingSkip']) wrap(m, (_len, out: bigint) => Number(out));
  else for (const m of ['writeZeroes', 'blockingWriteZeroesAndFlush']) wrap(m, (len: bigint) => Number(len));
  return stream;
}

class OutgoingBody {
  #id: number | undefined;
  #written = false;
  constructor(private readonly charge: () => Charge) {}
  /** The I/O-thread stream the request is piped from (created on first use). */
  streamId(): number { return (this.#id ??= callExtension(extensionUrl(), 'body', []) as number); }
  write(): Stream {
    if (this.#written) throw undefined;
    this.#written = true;
    return charged(outputStreamCreate(this.streamId()) as unknown as Stream, this.charge(), false);
  }
  static finish(body: OutgoingBody, trailers?: unknown): void {
    if (trailers) throw { tag: 'internal-error', val: 'trailers unsupported' };
    callExtension(extensionUrl(), 'finish', [body.streamId()]);
  }
}

class OutgoingRequest {
  #method: Variant = { tag: 'get' };
  #scheme: Variant | undefined;
  #path: string | undefined;
  #authority: string | undefined;
  #headers: SealedFields;
  #body: OutgoingBody | undefined;
  constructor(headers: InstanceType<typeof Fields>, private readonly task: () => HttpTask | undefined) {
    this.#headers = new SealedFields(headers.entries());
  }
  body(): OutgoingBody {
    if (this.#body) throw undefined;
    return (this.#body = new OutgoingBody(() => chargeOf(this.task)));
  }
  method(): Variant { return this.#method; }
  setMethod(m: Variant): void { if (m.tag === 'other' && !/^[A-Za-z-]+$/.test(m.val ?? '')) throw undefined; this.#method = m; }
  pathWithQuery(): string | undefined { return this.#path; }
  setPathWithQuery(p: string | undefined): void { if (p !== undefined && !/^[A-Za-z0-9.\-_~!$&'()*+,;=:@%?/]+$/.test(p)) throw undefined; this.#path = p; }
  scheme(): Variant | undefined { return this.#scheme; }
  setScheme(s: Variant | undefined): void { if (s?.tag === 'other' && !/^[A-Za-z]+$/.test(s.val ?? '')) throw undefined; this.#scheme = s; }
  authority(): string | undefined { return this.#authority; }
  setAuthority(a: string | undefined): void {
    // host[:port], LDH host or IPv4 literal: what the proxy's authority parser and policy accept
    if (a !== undefined && !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(a)) throw undefined;
    this.#authority = a;
  }
  headers(): SealedFields { return this.#headers; }

  /** The call for the I/O thread; throws the error-code for a request that cannot be sent. */
  static call(req: OutgoingRequest, proxy: EgressTarget): HttpCall {
    const scheme = req.#scheme === undefined ? 'https' : req.#scheme.tag === 'HTTP' ? 'http' : req.#scheme.tag === 'HTTPS' ? 'https' : undefined;
    if (!scheme) throw { tag: 'HTTP-protocol-error' } satisfies ErrorCode;
    if (!req.#authority) throw { tag: 'HTTP-request-URI-invalid' } satisfies ErrorCode;
    const method = req.#method.tag === 'other' ? req.#method.val! : req.#method.tag;
    const headers = req.#headers.entries().map(([k, v]): [string, string] => [k, latin1.decode(v)]);
    const path = req.#path ? (req.#path.startsWith('/') ? req.#path : `/${req.#path}`) : '/';
    return { proxy, method: method.toUpperCase(), scheme, authority: req.#authority, path, headers, bodyId: req.#body?.streamId() };
  }
}

class FutureTrailers {
  #taken = false;
  subscribe(): unknown { return clocks.monotonicClock.subscribeDuration(0n); }
  get(): unknown {
    if (this.#taken) return { tag: 'err', val: undefined };
    this.#taken = true;
    return { tag: 'ok', val: { tag: 'ok', val: undefined } };
  }
}

class IncomingBody {
  #stream: Stream | undefined;
  constructor(streamId: number, charge: Charge) { this.#stream = charged(inputStreamCreate(streamId) as unknown as Stream, charge, true); }
  stream(): Stream {
    const s = this.#stream;
    if (!s) throw undefined;
    this.#stream = undefined;
    return s;
  }
  static finish(): FutureTrailers { return new FutureTrailers(); }
}

class IncomingResponse {
  #body: IncomingBody | undefined;
  readonly #headers: SealedFields;
  constructor(private readonly answer: HttpAnswer, charge: Charge) {
    this.#headers = new SealedFields(answer.headers.map(([k, v]): [string, Uint8Array] => [k, encoder.encode(v)]));
    this.#body = new IncomingBody(answer.bodyStreamId, charge);
  }
  status(): number { return this.answer.status; }
  headers(): SealedFields { return this.#headers; }
  consume(): IncomingBody {
    const b = this.#body;
    if (!b) throw undefined;
    this.#body = undefined;
    return b;
  }
}

class FutureIncomingResponse {
  constructor(private readonly id: number, private readonly charge: Charge) {}
  subscribe(): unknown { return futureSubscribe(this.id, this); }
  get(): unknown {
    const v = futureTakeValue<HttpAnswer, ErrorCode>(this.id);
    if (v?.tag === 'ok' && v.val.tag === 'ok') return { tag: 'ok', val: { tag: 'ok', val: new IncomingResponse(v.val.val, this.charge) } };
    return v;
  }
  [Symbol.dispose](): void { futureDispose(this.id); }
}

function chargeOf(task: () => HttpTask | undefined): Charge {
  const t = task();
  if (!t) throw new Error('wasi:http used before its task was bound');
  return t.charge;
}

/** The `wasi:http/types` and `wasi:http/outgoing-handler` imports, reading the task through `task` at each call. */
export function httpImports(task: () => HttpTask | undefined): Record<string, unknown> {
  // One class per instance: the glue constructs requests with the headers only, and each must find its own task.
  class BoundRequest extends OutgoingRequest {
    constructor(headers: InstanceType<typeof Fields>) { super(headers, task); }
  }
  const types = { ...shimTypes, OutgoingRequest: BoundRequest, OutgoingBody, FutureIncomingResponse, IncomingResponse, IncomingBody, FutureTrailers };
  const handle = (request: OutgoingRequest): FutureIncomingResponse => {
    const t = task();
    // No policy: refused as a value jco lowers to the err case; nothing is created or dialed.
    if (!t?.egress) throw DENIED;
    const id = callExtension(extensionUrl(), 'request', [OutgoingRequest.call(request, t.egress)]) as number;
    return new FutureIncomingResponse(id, t.charge);
  };
  return { 'wasi:http/types': types, 'wasi:http/outgoing-handler': { handle } };
}
