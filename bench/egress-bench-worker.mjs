// Upstream or client process for bench/egress-bench.ts (`node egress-bench-worker.mjs upstream|client`, forked with IPC).
import { createServer } from 'node:http';
import { connect } from 'node:net';

const role = process.argv[2];

/** The upstream: /big is the 10 MiB body, anything else a 3-byte one; one request per connection. */
function upstream() {
  const blob = Buffer.alloc(10 << 20, 0x61);
  const small = Buffer.from('ok\n');
  const server = createServer({ keepAlive: false }, (req, res) => {
    const body = req.url.endsWith('/big') ? blob : small;
    res.writeHead(200, { 'Content-Length': body.length, Connection: 'close' }).end(body);
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}

/**
 * One GET on a fresh raw connection, timed from connect() to the response's end: direct, absolute-form through
 * the proxy ("forward"), or over a CONNECT tunnel. Resolves with the body bytes received, to check every path.
 */
function get({ mode, path, port, upstreamPort }) {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.setNoDelay(true);
    const authority = `127.0.0.1:${upstreamPort}`;
    const req = (target) => `GET ${target} HTTP/1.1\r\nHost: ${authority}\r\nConnection: close\r\n\r\n`;
    let total = 0;
    let head = Buffer.alloc(0);
    let tunnelOpen = mode !== 'tunnel';
    s.on('connect', () => s.write(mode === 'tunnel' ? `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n` : req(mode === 'forward' ? `http://${authority}${path}` : path)));
    s.on('data', (c) => {
      if (tunnelOpen) { total += c.length; return; }
      head = Buffer.concat([head, c]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!head.subarray(0, end).toString('latin1').startsWith('HTTP/1.1 200')) { s.destroy(); reject(new Error(`CONNECT refused: ${head.toString('latin1', 0, end)}`)); return; }
      tunnelOpen = true;
      total += head.length - end - 4;
      s.write(req(path));
    });
    s.on('error', reject);
    s.on('end', () => {
      s.destroy();
      resolve({ ms: performance.now() - t0, bytes: total });
    });
  });
}

if (role === 'upstream') upstream();
else if (role === 'client') {
  process.on('message', async (m) => {
    try { process.send(await get(m)); } catch (e) { process.send({ error: String(e) }); }
  });
  process.send({ ready: true });
} else {
  console.error(`usage: egress-bench-worker.mjs upstream|client (got ${role})`);
  process.exit(2);
}
