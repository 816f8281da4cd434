// Child process of half-open.test.ts: opens N connections from one local address, each sending half an HTTP/2
// preface and then nothing; prints one JSON summary line once every connection is closed (or the time is up).
import { connect } from 'node:net';

const [port, n, from, maxMs] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4], Number(process.argv[5])];
const HALF_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n').subarray(0, 12);
const lifetimes = [];
let connected = 0, closed = 0, failed = 0;
const t0 = Date.now();
let allOpenMs = -1;
const done = () => {
  process.stdout.write(`${JSON.stringify({ connected, closed, failed, allOpenMs, lastCloseMs: Date.now() - t0, lifetimes })}\n`);
  process.exit(0);
};
setTimeout(done, maxMs).unref();
for (let i = 0; i < n; i++) {
  const s = connect({ host: '127.0.0.1', port, localAddress: from });
  let openedAt = 0;
  s.on('error', () => {});
  s.once('connect', () => {
    openedAt = Date.now();
    s.write(HALF_PREFACE);
    if (++connected === n) allOpenMs = Date.now() - t0;
  });
  s.once('close', () => {
    if (openedAt) lifetimes.push(Date.now() - openedAt);
    else failed++;
    if (++closed === n) done();
  });
}
