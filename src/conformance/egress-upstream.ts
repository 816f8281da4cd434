// The egress rows' destination: a raw HTTP server on 127.0.0.1 that counts every connection and byte it sees.
import { createServer, type Server, type Socket } from 'node:net';

/**
 * The fixed port the egress agents' allow lists name (fixtures/conformance/egress-agents.toml and the
 * [network] ceiling of fixtures/conformance/ari.toml): a daemon's policy is read at load, before the suite runs.
 */
export const EGRESS_UPSTREAM_PORT = 28613;

export interface UpstreamConnection {
  /** Bytes the upstream's socket read and wrote (final once closed). */
  bytesIn: number;
  bytesOut: number;
  closed: boolean;
  /** [bytes written so far, Date.now()] after each body write. */
  writes: Array<[number, number]>;
}

const CHUNK = 16 * 1024;

/**
 * `GET /bytes?n=N&gap=G`: N body bytes in 16 KiB writes G ms apart (G=0: as fast as the peer reads); anything
 * else a 3-byte body. One request per connection (Connection: close), like the proxy's forwarding.
 */
function serve(socket: Socket, c: UpstreamConnection): void {
  let head = '';
  const onData = (d: Buffer) => {
    head += d.toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) { if (head.length > 16_384) socket.destroy(); return; }
    socket.off('data', onData);
    socket.resume(); // keep draining whatever else arrives, so the peer's writes never stall
    const target = head.slice(0, head.indexOf('\r\n')).split(' ')[1] ?? '/';
    const url = new URL(target.startsWith('/') ? `http://x${target}` : target);
    const n = url.pathname === '/bytes' ? Math.max(0, Number(url.searchParams.get('n') ?? 0) | 0) : 3;
    const gap = Number(url.searchParams.get('gap') ?? 0) || 0;
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${n}\r\nConnection: close\r\n\r\n`);
    body(socket, c, n, gap);
  };
  socket.on('data', onData);
}

function body(socket: Socket, c: UpstreamConnection, total: number, gap: number): void {
  const piece = Buffer.alloc(CHUNK, 0x61);
  let sent = 0;
  const step = () => {
    while (sent < total && !socket.destroyed) {
      const n = Math.min(CHUNK, total - sent);
      sent += n;
      const more = socket.write(n === CHUNK ? piece : piece.subarray(0, n));
      c.writes.push([socket.bytesWritten + socket.writableLength, Date.now()]);
      if (gap > 0) { setTimeout(step, gap); return; }
      if (!more) { socket.once('drain', step); return; }
    }
    if (sent >= total && !socket.destroyed) socket.end();
  };
  step();
}

export class EgressUpstream {
  readonly connections: UpstreamConnection[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly port: number) {}

  /** Listens on 127.0.0.1:port; a port already taken is an error naming it (another suite run on this host?). */
  static async open(port = EGRESS_UPSTREAM_PORT): Promise<EgressUpstream> {
    const server = createServer({ allowHalfOpen: false });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`the egress upstream cannot listen on 127.0.0.1:${port}: ${e.code ?? e.message} (another conformance run on this host?)`)));
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const u = new EgressUpstream(server, port);
    server.on('connection', (s) => {
      const c: UpstreamConnection = { bytesIn: 0, bytesOut: 0, closed: false, writes: [] };
      u.connections.push(c);
      s.on('error', () => undefined);
      u.sockets.add(s);
      s.on('close', () => { u.sockets.delete(s); c.bytesIn = s.bytesRead; c.bytesOut = s.bytesWritten; c.closed = true; });
      serve(s, c);
    });
    return u;
  }

  /** Waits (up to ms) until every connection has closed, so the byte totals are final. */
  async settled(ms = 3000): Promise<void> {
    const until = Date.now() + ms;
    while (this.connections.some((c) => !c.closed) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  totals(): { connections: number; bytes: number; open: number } {
    return {
      connections: this.connections.length,
      bytes: this.connections.reduce((n, c) => n + c.bytesIn + c.bytesOut, 0),
      open: this.connections.filter((c) => !c.closed).length,
    };
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}
