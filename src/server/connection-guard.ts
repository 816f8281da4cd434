// Admits TCP/unix connections to the gRPC server: connection bounds (total and per peer) and an HTTP/2 handshake
// deadline, enforced before grpc-js allocates anything for the connection.
import type * as grpc from '@grpc/grpc-js';
import type { Socket } from 'node:net';

export type RejectReason = 'max_connections' | 'max_connections_per_peer' | 'handshake_timeout' | 'bad_preface';

/** What the guard reports (implemented by the metrics). */
export interface ConnectionObserver {
  connectionsOpen(n: number): void;
  connectionRejected(reason: RejectReason): void;
}

export interface GuardOptions {
  handshakeTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerPeer: number;
  /**
   * Cleartext: the guard itself waits for the client preface and its SETTINGS frame, then hands the bytes on.
   * TLS: the bytes are encrypted, so the connection is handed on at once and the TLS layer's own handshake
   * timeout (set from the same deadline) applies.
   */
  cleartext: boolean;
  observer?: ConnectionObserver;
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const FRAME_HEADER = 9;
const SETTINGS = 0x4;
/** SETTINGS_MAX_FRAME_SIZE's initial value: a longer first frame is not a real client's. */
const MAX_FIRST_FRAME = 16_384;

export class ConnectionGuard {
  private open = 0;
  private readonly perPeer = new Map<string, number>();
  private readonly pending = new Set<Socket>();

  constructor(private readonly injector: grpc.ConnectionInjector, private readonly opts: GuardOptions) {}

  get openConnections(): number {
    return this.open;
  }

  /** The net.Server 'connection' listener. */
  readonly admit = (socket: Socket): void => {
    socket.on('error', () => {}); // a reset before or during the handshake is the peer's business
    const peer = socket.remoteAddress; // undefined on a unix socket: one local peer, bounded by the total only
    if (this.open >= this.opts.maxConnections) return this.reject(socket, 'max_connections');
    if (peer !== undefined && (this.perPeer.get(peer) ?? 0) >= this.opts.maxConnectionsPerPeer) {
      return this.reject(socket, 'max_connections_per_peer');
    }
    this.track(socket, peer);
    if (!this.opts.cleartext) return this.injector.injectConnection(socket);
    this.awaitHandshake(socket);
  };

  /** Destroys connections still in their handshake (the ones grpc-js does not know about). */
  destroyPending(): void {
    for (const s of this.pending) s.destroy();
  }

  private reject(socket: Socket, reason: RejectReason): void {
    socket.destroy();
    this.opts.observer?.connectionRejected(reason);
  }

  private track(socket: Socket, peer: string | undefined): void {
    this.open++;
    if (peer !== undefined) this.perPeer.set(peer, (this.perPeer.get(peer) ?? 0) + 1);
    this.opts.observer?.connectionsOpen(this.open);
    socket.once('close', () => {
      this.open--;
      this.pending.delete(socket);
      if (peer !== undefined) {
        const n = (this.perPeer.get(peer) ?? 1) - 1;
        if (n > 0) this.perPeer.set(peer, n);
        else this.perPeer.delete(peer);
      }
      this.opts.observer?.connectionsOpen(this.open);
    });
  }

  /** Buffers the preface and the first frame (SETTINGS), then gives every byte read to grpc-js. */
  private awaitHandshake(socket: Socket): void {
    this.pending.add(socket);
    let buf: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => { cleanup(); this.reject(socket, 'handshake_timeout'); }, this.opts.handshakeTimeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      this.pending.delete(socket);
    };
    const onData = (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]); // at most one preface and one frame: small
      const verdict = handshakeState(buf);
      if (verdict === 'partial') return;
      cleanup();
      if (verdict === 'bad') return this.reject(socket, 'bad_preface');
      socket.pause();
      socket.unshift(buf);
      this.injector.injectConnection(socket);
    };
    socket.on('data', onData);
    socket.once('close', cleanup);
  }
}

/** 'done' once the preface and a whole SETTINGS frame are in; 'bad' as soon as the bytes cannot become that. */
export function handshakeState(buf: Buffer): 'partial' | 'done' | 'bad' {
  const n = Math.min(buf.length, PREFACE.length);
  if (buf.compare(PREFACE, 0, n, 0, n) !== 0) return 'bad';
  if (buf.length < PREFACE.length + FRAME_HEADER) return 'partial';
  const payload = buf.readUIntBE(PREFACE.length, 3);
  if (buf[PREFACE.length + 3] !== SETTINGS || payload > MAX_FIRST_FRAME || payload % 6 !== 0) return 'bad';
  return buf.length >= PREFACE.length + FRAME_HEADER + payload ? 'done' : 'partial';
}
