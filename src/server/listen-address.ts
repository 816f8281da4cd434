// Parses a gRPC-style listen address for node:net, and words a bind failure so it names the listener.

export type ListenTarget = { path: string } | { host: string; port: number };

/** "127.0.0.1:9090", "[::1]:9090", "dns:///host:9090", "unix:/run/ari.sock" or "unix:///run/ari.sock". */
export function parseListen(listen: string): ListenTarget {
  if (listen.startsWith('unix:')) return { path: listen.slice('unix:'.length).replace(/^\/\//, '') };
  const m = /^(?:dns:(?:\/\/\/)?)?(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`server.listen: invalid address "${listen}": expected host:port, [v6]:port or unix:/path`);
  return { host: m[1] ?? m[2]!, port };
}

const REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available on this host',
  ENOTFOUND: 'host name not found',
};

/** "metrics listener 127.0.0.1:9464: address already in use". */
export function listenError(listener: string, address: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  const reason = (err.code && REASONS[err.code]) ?? err.message ?? String(e);
  return new Error(`${listener} listener ${address}: ${reason}`);
}

/**
 * Fails fast when a fixed TCP address cannot be bound (taken, not local, not permitted), before any backend starts;
 * the real bind later still reports the same way if the address is taken in between. Port 0 and unix sockets pass.
 */
export async function probeListen(listener: string, address: string): Promise<void> {
  let target: ListenTarget;
  try {
    target = parseListen(address);
  } catch {
    const port = /^:?(\d+)$/.exec(address.trim()); // the metrics listener's "all interfaces" forms; else the real bind words it
    if (!port) return;
    target = { host: '', port: Number(port[1]) };
  }
  if ('path' in target || target.port === 0) return;
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (e) => reject(listenError(listener, address, e)));
    probe.listen({ ...(target.host ? { host: target.host } : {}), port: target.port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
