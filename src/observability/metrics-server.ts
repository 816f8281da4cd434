// The metrics listener: GET /metrics (Prometheus), /healthz (the process answers) and /readyz (it takes tasks).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** "127.0.0.1:9464", "[::1]:9464", ":9464" or "9464" (all interfaces). */
export function parseHostPort(listen: string, what = 'metrics listen address'): { host?: string; port: number } {
  const m = /^(?:(?:\[([^\]]+)\]|([^:[\]]*)):)?(\d+)$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new Error(`invalid ${what} "${listen}": expected host:port, e.g. 127.0.0.1:9464`);
  }
  return { host: m[1] ?? (m[2] || undefined), port };
}

export interface Readiness {
  /** Ready = serving and not shutting down; the lines say why not (or per backend state). */
  ready(): { ready: boolean; lines: string[] };
}

export interface MetricsServer { port: number; close(): Promise<void> }

const ALWAYS_READY: Readiness = { ready: () => ({ ready: true, lines: [] }) };

/** Port 0 picks a free port, reported back. Anything but GET of the three paths is 404. */
export async function startMetricsServer(metrics: Metrics, listen: string, logger: Logger, readiness = ALWAYS_READY): Promise<MetricsServer> {
  const { host, port } = parseHostPort(listen);
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const text = (code: number, body: string) => res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
    if (req.method !== 'GET') return text(404, 'not found\n');
    if (path === '/healthz') return text(200, 'ok\n');
    if (path === '/readyz') {
      const r = readiness.ready();
      return text(r.ready ? 200 : 503, [r.ready ? 'ready' : 'not ready', ...r.lines].join('\n') + '\n');
    }
    if (path !== '/metrics') return text(404, 'not found\n');
    metrics.text().then(
      (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      (err: Error) => {
        logger.error({ err }, 'metrics collection failed');
        text(500, 'metrics collection failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const bound = (server.address() as AddressInfo).port;
  logger.info({ listen: `${host ?? '0.0.0.0'}:${bound}` }, 'metrics listening');
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
