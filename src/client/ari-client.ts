// Promise-based typed client of ari.v1.AgentRuntime, shared by the CLI, tests and benches.
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadAri } from '../server/proto.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.js';
import { channelTarget, ROUND_ROBIN } from './targets.js';
import type {
  WireHealthStatus, WireLimits, WireManifest, WireNetworkPolicy, WireTaskLogs, WireTaskResponse, WireTaskUpdate,
} from '../server/wire-types.js';

/** The wire shapes the methods below return, for callers that only import the client. */
export type {
  WireEgressRecord, WireNetworkPolicy, WireTaskLimits, WireTaskResponse, WireTaskUpdate, WireUsage,
} from '../server/wire-types.js';

/** PEM contents, or a path to a PEM file. */
export type PemSource = Buffer | string;

export interface ConnectOptions {
  token?: string;
  tls?: { ca?: PemSource; cert?: PemSource; key?: PemSource };
  /** Largest response accepted; outputs are capped by the daemon, this only has to exceed that cap. */
  maxReceiveBytes?: number;
  /**
   * Raw gRPC channel options, merged over ari's: e.g. `{ 'grpc.service_config': JSON.stringify({ loadBalancingConfig:
   * [{ round_robin: {} }] }) }` with a `dns:///host:port` target, or `'grpc.keepalive_time_ms': 30000`.
   */
  channelOptions?: grpc.ChannelOptions;
  /**
   * Retries of UNAVAILABLE (same task id each time: a task without one gets a client-made id first).
   * Default: on for several targets (`a:9090,b:9090`, `dns:///name:port`), off for one.
   */
  retry?: Partial<RetryPolicy> | false;
}

export interface TaskListQuery {
  agentId?: string;
  status?: string;
  /** Only tasks accepted at or after this time (ms since the epoch). */
  sinceMs?: number;
  pageSize?: number;
  pageToken?: string;
}

export interface CallOptions { deadlineMs?: number }

export interface TaskRequestInit {
  task_id?: string;
  agent_id: string;
  capability: string;
  /** JSON text or bytes; sent as given. */
  input: Buffer | string;
  /** Numeric limits (0 / absent = the agent's) and `network.allow`, which may only narrow the agent's allowlist. */
  limits?: Partial<WireLimits> & { network?: WireNetworkPolicy };
}

/** A response's egress log; a response built by hand (not decoded) may omit the fields: none kept, none dropped. */
export function egressLogOf(r: WireTaskResponse): { records: NonNullable<WireTaskResponse['egress_log']>; dropped: number } {
  return { records: r.egress_log ?? [], dropped: Number(r.egress_log_dropped ?? 0) };
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
  /** One page of tasks, newest first; pass next_page_token back as pageToken for the next. */
  listTasks(q?: TaskListQuery, opts?: CallOptions): Promise<{ tasks: WireTaskResponse[]; next_page_token: string }>;
  /** The agent log lines kept with a task's outcome. */
  getTaskLogs(taskId: string, opts?: CallOptions): Promise<WireTaskLogs>;
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
  const channel = channelTarget(target);
  const client = new Client(channel.target, credentials(opts), {
    'grpc.max_receive_message_length': opts.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE,
    ...(channel.balanced ? { 'grpc.service_config': ROUND_ROBIN } : {}),
    ...opts.channelOptions,
  }) as grpc.Client & Record<string, Function>;
  const policy: RetryPolicy = opts.retry === false || (opts.retry === undefined && !channel.balanced)
    ? { ...DEFAULT_RETRY, attempts: 1 } : { ...DEFAULT_RETRY, ...opts.retry };
  const retried = <T>(call: () => Promise<T>) => withRetry(policy, call);
  // A retried submission must carry the same id every time, or a retry could run the task twice.
  const withId = (r: TaskRequestInit): TaskRequestInit => (policy.attempts > 1 && !r.task_id ? { ...r, task_id: randomUUID() } : r);

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
    executeTask: (r, o) => { const req = wireRequest(withId(r)); return retried(() => unary('ExecuteTask', req, o)); },
    submitTask: (r, o) => { const req = wireRequest(withId(r)); return retried(() => unary('SubmitTask', req, o)); },
    getTask: (id, o) => retried(() => unary('GetTask', { task_id: id }, o)),
    cancelTask: (id, o) => retried(() => unary('CancelTask', { task_id: id }, o)),
    getHealth: (o) => unary('GetHealth', {}, o),
    listTasks: (q = {}, o) => unary('ListTasks', {
      agent_id: q.agentId ?? '', status: q.status ?? 'TASK_STATUS_UNSPECIFIED', since_ms: q.sinceMs ?? 0,
      page_size: q.pageSize ?? 0, page_token: q.pageToken ?? '',
    }, o),
    getTaskLogs: (id, o) => unary('GetTaskLogs', { task_id: id }, o),
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
