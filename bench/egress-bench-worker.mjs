// Upstream and client for bench/egress-bench.ts, in their own thread so the proxy (main thread) does not share their event loop.
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { parentPort } from 'node:worker_threads';

const BLOB = Buffer.alloc(10 << 20, 0x61);
const server = createServer((req, res) => {
  const body = new URL(req.url, 'http://x').pathname === '/big' ? BLOB : Buffer.from('ok\n');
  res.writeHead(200, { 'Content-Length': body.length, Connection: 'close' }).end(body);
});

/** One GET on a fresh raw connection: direct, absolute-form through the proxy, or over a CONNECT tunnel. */
function get(mode, path, proxyPort) {
  const port = server.address().port;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const s = connect(mode === 'direct' ? port : proxyPort, '127.0.0.1');
    const req = (p) => `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`;
    let n = 0;
    let head = mode !== 'tunnel';
    let buf = Buffer.alloc(0);
    s.on('connect', () => s.write(mode === 'direct' ? req(path) : mode === 'forward' ? req(`http://127.0.0.1:${port}${path}`) : `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    s.on('data', (c) => {
      if (head) { n += c.length; return; }
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      head = true;
      n += buf.length - end - 4;
      s.write(req(path));
    });
    s.on('error', reject);
    s.on('end', () => { s.destroy(); resolve({ ms: performance.now() - t0, bytes: n }); });
  });
}

server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', async (m) => {
  if (m === 'stop') { server.close(); parentPort.close(); return; }
  try { parentPort.postMessage(await get(m.mode, m.path, m.proxyPort)); } catch (e) { parentPort.postMessage({ error: String(e) }); }
});
