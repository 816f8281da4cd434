// The daemon's one egress proxy: per-task sessions, each with its own endpoint, policy, budgets, log and usage.
import { lookup as dnsLookup } from 'node:dns/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import { emptyCounters, type EgressCounters, type EgressRecord } from './audit-log.js';
import type { ListenerAddress } from './destination-check.js';
import type { AllowEntry } from './policy.js';
import { handleClient, type LookupAll, type ProxyContext, type ProxyTimeouts } from './proxy-connection.js';
import { EgressSession, type EgressBudgets, type EgressLimit, type EgressUsage } from './session.js';

export interface EgressProxyOptions {
  /** The daemon's own listeners (gRPC, metrics, ...): never a destination, whatever the allow list says. */
  ownListeners?: readonly ListenerAddress[];
  /** Name resolution; defaults to dns.lookup with all addresses. */
  lookup?: LookupAll;
  timeouts?: Partial<ProxyTimeouts>;
  /** A budget was crossed: the task's connections are already ended; the task should end as NETWORK_LIMIT. */
  onLimit?: (taskId: string, which: EgressLimit) => void;
  /** A denied attempt, for a live 'egress' task update. */
  onEgress?: (taskId: string, record: EgressRecord) => void;
}

export interface SessionListen {
  /** TCP listener; defaults to 127.0.0.1 on an ephemeral port. */
  host?: string;
  port?: number;
  /** Also listen on this unix socket path (for bind-mounting into a sandbox). */
  socketPath?: string;
  /** Concurrent client connections accepted on this endpoint. */
  maxClients?: number;
  /**
   * An already-listening server to serve instead of a new TCP listener — e.g. one created inside a sandbox's
   * network namespace and handed over by IPC (docs/egress.md); it is closed with the session.
   */
  adopt?: Server;
  /**
   * Admits a client by its peer address (e.g. only the task's container on a shared network); a pending answer
   * holds the connection (paused) until it is known. Refused peers are closed unseen: no record, nothing counted.
   */
  acceptPeer?: (address: string) => boolean | Promise<boolean>;
}

export interface EgressEndpoint { host: string; port: number; url: string; socketPath?: string }

export interface EgressReport { usage: EgressUsage; records: EgressRecord[]; dropped: number; ended?: EgressLimit | 'closed' }

export const DEFAULT_TIMEOUTS: ProxyTimeouts = { headMs: 10_000, helloMs: 5_000, firstByteMs: 300, connectMs: 10_000 };

const defaultLookup: LookupAll = (host) => dnsLookup(host, { all: true, verbatim: true });

function listen(server: Server, arg: { host: string; port: number } | string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const ok = () => { server.off('error', reject); resolve(); };
    if (typeof arg === 'string') server.listen(arg, ok); else server.listen(arg.port, arg.host, ok);
  });
}

export class EgressProxy {
  private readonly sessions = new Map<string, EgressSession>();
  private readonly socketPaths = new Map<string, string>();
  private readonly totals: EgressCounters = emptyCounters();
  private readonly ctx: ProxyContext;

  constructor(private readonly opts: EgressProxyOptions = {}) {
    this.ctx = {
      ownListeners: () => [...(opts.ownListeners ?? []), ...this.sessionListeners()],
      lookup: opts.lookup ?? defaultLookup,
      counters: this.totals,
      timeouts: { ...DEFAULT_TIMEOUTS, ...opts.timeouts },
      onDenied: (r) => safely(() => opts.onEgress?.(r.taskId, r)),
    };
  }

  async openSession(taskId: string, allow: readonly AllowEntry[], budgets: EgressBudgets = {}, where: SessionListen = {}): Promise<EgressEndpoint> {
    if (this.sessions.has(taskId)) throw new Error(`egress session for task ${taskId} already open`);
    const session = new EgressSession(taskId, allow, budgets, (s, which) => safely(() => this.opts.onLimit?.(s.taskId, which)));
    this.sessions.set(taskId, session);
    try {
      const tcp = this.server(session, where, where.adopt);
      if (!where.adopt) await listen(tcp, { host: where.host ?? '127.0.0.1', port: where.port ?? 0 });
      const addr = tcp.address() as AddressInfo;
      const endpoint: EgressEndpoint = { host: addr.address, port: addr.port, url: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` };
      if (where.socketPath) {
        await rm(where.socketPath, { force: true });
        this.socketPaths.set(taskId, where.socketPath);
        await listen(this.server(session, where), where.socketPath);
        endpoint.socketPath = where.socketPath;
      }
      return endpoint;
    } catch (e) {
      await this.closeSession(taskId);
      throw e;
    }
  }

  /** Ends every connection of the task and returns its final usage and log; undefined if no such session. */
  async closeSession(taskId: string): Promise<EgressReport | undefined> {
    const session = this.sessions.get(taskId);
    if (!session) return undefined;
    this.sessions.delete(taskId);
    const ended = session.ended;
    session.end('closed');
    await Promise.all(session.servers.map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))));
    const path = this.socketPaths.get(taskId);
    this.socketPaths.delete(taskId);
    if (path) await rm(path, { force: true });
    return { usage: { ...session.usage }, ...session.log.snapshot(), ended };
  }

  usage(taskId: string): EgressUsage | undefined {
    const s = this.sessions.get(taskId);
    return s && { ...s.usage };
  }

  log(taskId: string): { records: EgressRecord[]; dropped: number } | undefined {
    return this.sessions.get(taskId)?.log.snapshot();
  }

  /** Totals since start, for connections{decision} and bytes{direction} metrics. */
  counters(): EgressCounters {
    return { connections: { ...this.totals.connections }, bytes: { ...this.totals.bytes } };
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.closeSession(id)));
  }

  private server(session: EgressSession, where: SessionListen, adopted?: Server): Server {
    const onClient = (socket: Socket) => handleClient(socket, session, this.ctx).catch(() => socket.destroy());
    const srv = adopted ?? createServer({ allowHalfOpen: true, pauseOnConnect: true });
    srv.on('connection', (socket: Socket) => {
      // An adopted server was made without our options: apply them per socket.
      if (adopted) { socket.pause(); socket.allowHalfOpen = true; }
      if (!where.acceptPeer) return void onClient(socket);
      socket.on('error', () => undefined);
      Promise.resolve(where.acceptPeer(socket.remoteAddress ?? '')).then(
        (ok) => (ok && !socket.destroyed ? void onClient(socket) : socket.destroy()),
        () => socket.destroy(),
      );
    });
    srv.maxConnections = where.maxClients ?? 256;
    srv.on('error', () => undefined);
    session.servers.push(srv);
    return srv;
  }

  /** Session endpoints are listeners of ours too: a task must not loop back into its own or another task's session. */
  private sessionListeners(): ListenerAddress[] {
    const out: ListenerAddress[] = [];
    for (const s of this.sessions.values()) {
      for (const srv of s.servers) {
        const a = srv.address();
        if (a && typeof a !== 'string') out.push({ host: a.address, port: a.port });
      }
    }
    return out;
  }
}

function safely(f: () => void): void {
  try { f(); } catch { /* a throwing callback must not break the proxy */ }
}
