// The spawn helper's own code: a small Node process that forks the sandbox chains, so the daemon never forks itself.

/**
 * Runs as plain CommonJS (`node -e`: the daemon may run from source or from dist), with an IPC channel using
 * advanced serialization (the seccomp program arrives as bytes).
 *
 * Messages in: `{ op: 'spawn', id, file, args, fd3 }` (fd3 is written to the child's fd 3 and closed) and
 * `{ op: 'kill', id }`. Messages out, in this order per child: `{ op: 'fd', id, fd, pid }` with the socket of child
 * fd 0, 1, 2 and 4 as the handle, then `{ op: 'exit', id, code, signal, error }`. Node's IPC queues every message
 * behind a handle until the daemon acknowledged it, so the order holds.
 *
 * `{ op: 'relay', id, file, args }` starts a child with an IPC channel of its own (the netns listener) and passes
 * each of its messages on as `{ op: 'relayed', id, msg }` with its handle, then `{ op: 'exit', id, code, signal,
 * error, stderr }`.
 *
 * The helper never reads the child's output: each output socket's reading is stopped in the same tick as the
 * spawn (Node starts it at creation), before any byte can arrive, and the kernel holds the bytes until the daemon
 * reads them. It ignores SIGINT and SIGTERM (a terminal's Ctrl-C reaches the whole group, and the daemon drains on
 * those) and exits when the daemon's channel closes; the sandboxes' pdeathsig then kills them, as they die with
 * the daemon.
 */
export const SPAWNER_SCRIPT = `
const { spawn } = require('child_process');
const kids = new Map();
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('disconnect', () => process.exit(0));
const send = (m, h, done) => { try { process.send(m, h, done); } catch {} };
/** Spawns m.file with \`stdio\`, reports its one exit, and hands the running child to \`started\`. */
const launch = (m, stdio, started) => {
  let done = false;
  let stderr;
  const exit = (code, signal, error) => {
    if (done) return;
    done = true;
    kids.delete(m.id);
    send({ op: 'exit', id: m.id, code, signal, error, stderr });
  };
  let child;
  try {
    child = spawn(m.file, m.args, { stdio, env: {} });
  } catch (e) {
    return exit(null, null, String(e && e.message));
  }
  kids.set(m.id, child);
  child.on('error', (e) => { if (child.pid === undefined) exit(null, null, String(e.message)); });
  if (child.pid === undefined) return;
  started(child, (s) => { stderr = s; });
  child.on('exit', (code, signal) => exit(code, signal));
};
const sandbox = (m) => launch(m, ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'], (child) => {
  for (const fd of [1, 2, 4]) child.stdio[fd]._handle.readStop();
  const seccomp = child.stdio[3];
  seccomp.on('error', () => {});
  seccomp.end(Buffer.from(m.fd3));
  for (const fd of [0, 1, 2, 4]) send({ op: 'fd', id: m.id, fd, pid: child.pid }, child.stdio[fd]);
});
const relay = (m) => launch(m, ['ignore', 'ignore', 'pipe', 'ipc'], (child, setStderr) => {
  let stderr = '';
  child.stderr.on('data', (c) => { if (stderr.length < 2048) setStderr(stderr += c.toString()); });
  // Node made the handle a listening server here too: close this copy once it is sent, or we would accept with the daemon.
  child.on('message', (msg, handle) => {
    if (handle && handle.close) handle.on('connection', (c) => c.destroy());
    send({ op: 'relayed', id: m.id, msg }, handle, () => { if (handle && handle.close) handle.close(); });
  });
});
process.on('message', (m) => {
  if (m.op === 'spawn') sandbox(m);
  else if (m.op === 'relay') relay(m);
  else if (m.op === 'kill') { const c = kids.get(m.id); if (c) c.kill('SIGKILL'); }
});
`;
