// Promise-based typed client of ari.v1.AgentRuntime, shared by the CLI, tests and benches.
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { loadAri } from '../server/proto.js';
import type {
  WireHealthStatus, WireLimits, WireManifest, WireTaskResponse, WireTaskUpdate,
} from '../server/wire-types.js';

/** PEM contents, or a path to a PEM file. */
export type PemSource = Buffer | string;

export interface ConnectOptions {
  token?: string;
  tls?: { ca?: PemSource; cert?: PemSource; key?: PemSource };
  /** Largest response accepted; outputs are capped by the daemon, this only has to exceed that cap. */
  maxReceiveBytes?: number;
}

export interface CallOptions { deadlineMs?: number }

export interface TaskRequestInit {
  task_id?: string;
  agent_id: string;
  capability: string;
  /** JSON text or bytes; sent as given. */
  input: Buffer | string;
  limits?: Partial<WireLimits>;
}

/** A request the daemon refused (it never became a task): the gRPC status name plus the server's details. */
export class AriRpcError extends Error {
  constructor(readonly code: string, readonly grpcCode: number, readonly details: string) {
    super(`${code}: ${details}`);
    this.name = 'AriRpcError';
  }
}

export interface AriClient {
  getManifest(agentId?: string, opts?: CallOptions): Promise<WireManifest>;
  listAgents(opts?: CallOptions): Promise<WireManifest[]>;
  executeTask(req: TaskRequestInit, opts?: CallOptions): Promise<WireTaskResponse>;
  submitTask(req: TaskRequestInit, opts?: CallOptions): Promise<WireTaskResponse>;
  getTask(taskId: string, opts?: CallOptions): Promise<WireTaskResponse>;
  cancelTask(taskId: string, opts?: CallOptions): Promise<WireTaskResponse>;
  getHealth(opts?: CallOptions): Promise<WireHealthStatus>;
  /** Live updates of one task; ends after the terminal update. Breaking out of the loop cancels the call. */
  streamUpdates(taskId: string): AsyncIterable<WireTaskUpdate>;
  /** Resolves once the channel is connected; rejects with UNAVAILABLE after timeoutMs. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
}

const DEFAULT_MAX_RECEIVE = 64 * 1024 * 1024;

export function toAriError(err: unknown, target?: string): Error {
  if (err instanceof AriRpcError) return err;
  const e = err as Partial<grpc.ServiceError>;
  if (typeof e?.code === 'number') {
    const name = grpc.status[e.code] ?? `CODE_${e.code}`;
    let details = e.details || e.message || name;
    // grpc-js's own wording for a refused connection hides the address; name it.
    const refused = /^No connection established\. Last error: (?:Error: )?(.*?)\.?(?: Resolution note:.*)?$/s.exec(details);
    if (refused && target) details = `cannot reach the ari daemon at ${target}: ${refused[1]!.trim()}`;
    return new AriRpcError(name, e.code, details);
  }
  return err instanceof Error ? err : new Error(String(err));
}

function pem(src: PemSource | undefined): Buffer | null {
  if (src === undefined) return null;
  if (Buffer.isBuffer(src)) return src;
  return src.includes('-----BEGIN') ? Buffer.from(src) : readFileSync(src);
}

function credentials(opts: ConnectOptions): grpc.ChannelCredentials {
  if (!opts.tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(pem(opts.tls.ca), pem(opts.tls.key), pem(opts.tls.cert));
}

export function connectAri(target: string, opts: ConnectOptions = {}): AriClient {
  const { Client } = loadAri();
  const client = new Client(target, credentials(opts), {
    'grpc.max_receive_message_length': opts.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE,
  }) as grpc.Client & Record<string, Function>;

  const metadata = (): grpc.Metadata => {
    const md = new grpc.Metadata();
    if (opts.token) md.set('authorization', `Bearer ${opts.token}`);
    return md;
  };
  const callOptions = (o?: CallOptions): grpc.CallOptions =>
    o?.deadlineMs ? { deadline: Date.now() + o.deadlineMs } : {};

  function unary<Res>(method: string, req: object, o?: CallOptions): Promise<Res> {
    return new Promise((resolve, reject) => {
      client[method]!(req, metadata(), callOptions(o), (err: grpc.ServiceError | null, res: Res) =>
        err ? reject(toAriError(err, target)) : resolve(res));
    });
  }

  const wireRequest = (r: TaskRequestInit) => ({
    task_id: r.task_id ?? '',
    agent_id: r.agent_id,
    capability: r.capability,
    input: Buffer.isBuffer(r.input) ? r.input : Buffer.from(r.input),
    limits: r.limits ?? null,
  });

  return {
    getManifest: (agentId = '', o) => unary('GetManifest', { agent_id: agentId }, o),
    listAgents: async (o) => {
      const agents: WireManifest[] = [];
      let page_token = '';
      do {
        const res = await unary<{ agents: WireManifest[]; next_page_token: string }>(
          'ListAgents', { page_size: 0, page_token }, o);
        agents.push(...res.agents);
        page_token = res.next_page_token;
      } while (page_token);
      return agents;
    },
    executeTask: (r, o) => unary('ExecuteTask', wireRequest(r), o),
    submitTask: (r, o) => unary('SubmitTask', wireRequest(r), o),
    getTask: (id, o) => unary('GetTask', { task_id: id }, o),
    cancelTask: (id, o) => unary('CancelTask', { task_id: id }, o),
    getHealth: (o) => unary('GetHealth', {}, o),
    streamUpdates: (id) => updates(
      client['StreamUpdates']!({ task_id: id }, metadata()) as grpc.ClientReadableStream<WireTaskUpdate>, target),
    waitForReady: (timeoutMs) => new Promise((resolve, reject) => {
      client.waitForReady(Date.now() + timeoutMs, (err) =>
        err ? reject(new AriRpcError('UNAVAILABLE', grpc.status.UNAVAILABLE, `${target}: ${err.message}`)) : resolve());
    }),
    close: () => client.close(),
  };
}

/** Adapts a server stream to an async iterable; the final status (not 'end') decides success. */
async function* updates(
  call: grpc.ClientReadableStream<WireTaskUpdate>, target: string,
): AsyncGenerator<WireTaskUpdate> {
  const queue: WireTaskUpdate[] = [];
  let finished = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => { wake?.(); wake = undefined; };
  call.on('data', (m: WireTaskUpdate) => { queue.push(m); notify(); });
  call.on('error', (e) => { failure ??= e; });
  call.on('status', (s: grpc.StatusObject) => {
    if (s.code !== grpc.status.OK) failure ??= s;
    finished = true;
    notify();
  });
  try {
    for (;;) {
      if (queue.length) { yield queue.shift()!; continue; }
      if (finished) {
        if (failure) throw toAriError(failure, target);
        return;
      }
      await new Promise<void>((r) => { wake = r; });
    }
  } finally {
    if (!finished) call.cancel();
  }
}
