// Serves a grpc-js Server through ari's own listening socket (grpc-js's public connection injector), so the
// connection guard decides which connections grpc-js ever sees; used by the main and the health-only listener.
import type * as grpc from '@grpc/grpc-js';
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { ConnectionGuard, type ConnectionObserver, type GuardOptions } from './connection-guard.js';
import { listenError, parseListen } from './listen-address.js';

export interface ListenSettings {
  listen: string;
  /** unix socket file mode (unix: addresses only). */
  socketMode?: number;
  handshakeTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerPeer: number;
}

export interface GuardedListener {
  /** The bound address (with the real port when 0 was asked). */
  address: string;
  guard: ConnectionGuard;
  /** Stops accepting, then tryShutdown; forced after graceMs. */
  stop(graceMs: number): Promise<void>;
}

/** Kernel accept queue (capped by net.core.somaxconn): a burst of connects waits there, not in SYN retries. */
const ACCEPT_BACKLOG = 4096;

function prepareUnixSocket(path: string): void {
  // Only replace a stale socket, never an arbitrary file someone pointed us at.
  if (existsSync(path)) {
    if (!lstatSync(path).isSocket()) throw new Error(`server.listen: ${path} exists and is not a socket`);
    unlinkSync(path);
  }
}

async function bindSocket(listener: NetServer, s: ListenSettings, name: string): Promise<string> {
  const target = parseListen(s.listen);
  if ('path' in target) prepareUnixSocket(target.path);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen({ ...('path' in target ? { path: target.path } : { host: target.host, port: target.port }), backlog: ACCEPT_BACKLOG }, () => {
      listener.off('error', reject);
      resolve();
    });
  }).catch((e) => { throw listenError(name, s.listen, e); });
  if ('path' in target) {
    if (s.socketMode !== undefined) chmodSync(target.path, s.socketMode);
    return s.listen;
  }
  return s.listen.replace(/:0$/, `:${(listener.address() as AddressInfo).port}`);
}

/** `name` words bind failures ("gRPC listener 127.0.0.1:9090: address already in use"). */
export async function listenGuarded(
  server: grpc.Server, credentials: grpc.ServerCredentials, tls: boolean, s: ListenSettings, name: string, observer?: ConnectionObserver,
): Promise<GuardedListener> {
  const opts: GuardOptions = {
    handshakeTimeoutMs: s.handshakeTimeoutMs, maxConnections: s.maxConnections, maxConnectionsPerPeer: s.maxConnectionsPerPeer,
    cleartext: !tls, observer,
  };
  const guard = new ConnectionGuard(server.createConnectionInjector(credentials), opts);
  const listener = createServer(guard.admit);
  const address = await bindSocket(listener, s, name);
  return {
    address,
    guard,
    stop: (graceMs) =>
      new Promise<void>((resolve) => {
        listener.close();
        guard.destroyPending();
        // tryShutdown waits for open calls and streams; it can hang on a stuck client, so force after the grace.
        const timer = setTimeout(() => { server.forceShutdown(); resolve(); }, graceMs);
        server.tryShutdown(() => { clearTimeout(timer); resolve(); });
      }),
  };
}
