// The spawn helper: children started through it keep every output byte, get their stdin and fd 3, report exits, die when killed or when the helper dies.
import { execFileSync } from 'node:child_process';
import { connect, type AddressInfo, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Spawner, type OutputFd, type SpawnedChild } from '../../src/runtimes/native/spawner.js';

const setpriv = execFileSync('sh', ['-c', 'command -v setpriv']).toString().trim();
const spawner = new Spawner(setpriv, pino({ level: 'silent' }));
afterAll(() => spawner.close());

function collect(child: SpawnedChild, fd: OutputFd): () => Buffer {
  const chunks: Buffer[] = [];
  child.onData(fd, (c) => chunks.push(c));
  return () => Buffer.concat(chunks);
}

const sh = (script: string, fd3 = new Uint8Array()) => spawner.spawn('/bin/sh', ['-c', script], fd3);

describe('spawn helper', () => {
  it('loses no output written before the daemon holds the sockets, and delivers stdin and fd 3', async () => {
    // 4 MiB at once on stdout (more than any socket buffer: the child blocks until we read), a line on stderr and fd 4.
    const child = sh('head -c 4194304 /dev/zero; echo err >&2; echo status >&4; cat >&4; cat <&3 >&4; exit 7', new TextEncoder().encode('seccomp-bytes'));
    // Hold this event loop (a busy daemon), so the child writes while the helper still holds its sockets.
    const until = performance.now() + 500;
    while (performance.now() < until);
    const out = collect(child, 1);
    const err = collect(child, 2);
    const status = collect(child, 4);
    child.endStdin('the-task\n');
    const exit = await child.ended;
    expect(exit).toEqual({ exitCode: 7, signal: undefined });
    expect(out().length).toBe(4 * 2 ** 20);
    expect(err().toString()).toBe('err\n');
    expect(status().toString()).toBe('status\nthe-task\nseccomp-bytes');
    expect(child.pid).toBeGreaterThan(1);
  });

  it('kills a child on request and reports the signal', async () => {
    const child = sh('echo up; exec sleep 60');
    const started = new Promise<void>((r) => child.onData(1, () => r()));
    await started;
    child.kill();
    expect(await child.ended).toEqual({ exitCode: undefined, signal: 'SIGKILL' });
  });

  it('reports a program that cannot start', async () => {
    const child = spawner.spawn('/nonexistent/ari-binary', [], new Uint8Array());
    expect(await child.ended).toEqual({ exitCode: undefined, signal: undefined });
  });

  it('runs many children at once, each with its own output', async () => {
    const kids = Array.from({ length: 20 }, (_, i) => {
      const child = sh(`echo child-${i}`);
      return { i, child, out: collect(child, 1) };
    });
    for (const { i, child, out } of kids) {
      await child.ended;
      expect(out().toString()).toBe(`child-${i}\n`);
    }
  });

  it('relays a child\'s IPC messages with their handles: a listening socket made there serves here', async () => {
    const script = "const s = require('net').createServer(); s.listen(0, '127.0.0.1', () => process.send('server', s, () => process.exit(0)));";
    const got = new Promise<Server>((resolve) => {
      const child = spawner.relay(process.execPath, ['-e', script], (msg, handle) => { if (msg === 'server') resolve(handle as Server); });
      void child.ended.then((e) => expect(e.exitCode).toBe(0));
    });
    const server = await got;
    await new Promise((r) => setTimeout(r, 300)); // the helper's copy of the socket is closed by now
    // Every connection reaches this process: no other copy of the socket still accepts (the helper's was closed).
    let accepted = 0;
    server.on('connection', (c) => { accepted++; c.destroy(); });
    for (let i = 0; i < 10; i++) {
      const c = connect((server.address() as AddressInfo).port, '127.0.0.1');
      c.on('error', () => {});
      await new Promise((r) => c.once('close', r));
    }
    expect(accepted).toBe(10);
    server.close();
  });

  it('a dead helper takes its children with it, and the next spawn starts a new helper', async () => {
    const child = sh('echo $$; exec sleep 60');
    const pid = await new Promise<number>((r) => child.onData(1, (c) => r(Number(c.toString().trim()))));
    const helperPid = Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)]).toString().trim());
    process.kill(helperPid, 'SIGKILL');
    // A sandbox chain dies with the helper (its setpriv's pdeathsig); this plain sleep does not, so end it here.
    // The exit is reported once its output socket closed too: nothing it wrote is lost.
    await new Promise((r) => setTimeout(r, 200));
    process.kill(pid, 'SIGKILL');
    expect(await child.ended).toEqual({ signal: 'SIGKILL' });
    const next = sh('echo again');
    const out = collect(next, 1);
    expect(await next.ended).toEqual({ exitCode: 0, signal: undefined });
    expect(out().toString()).toBe('again\n');
  });
});
