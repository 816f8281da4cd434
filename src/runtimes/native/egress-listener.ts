// The egress proxy's listening socket inside one sandbox's network namespace: made there by a short-lived child, handed to the daemon over IPC (via the spawn helper).
import type { Server, Socket } from 'node:net';
import { proxyEnv } from '../../egress/proxy-env.js';
import type { EgressGrant } from '../runtime.js';
import type { Spawner } from './spawner.js';

/** The sandbox reaches the proxy on its own loopback (its netns has no other interface), always at this port. */
export const SANDBOX_PROXY_PORT = 3128;
export const SANDBOX_PROXY_URL = `http://127.0.0.1:${SANDBOX_PROXY_PORT}`;

/** What a network sandbox's agent gets on top of its own env; fixed, so a pooled sandbox can be spawned with it. */
export const SANDBOX_PROXY_ENV: Readonly<Record<string, string>> = proxyEnv(SANDBOX_PROXY_URL);

/** Node, nsenter and the retries below, on a loaded 2-core host: generous. */
const LISTEN_TIMEOUT_MS = 10_000;

/**
 * Runs inside the netns as plain CommonJS (`node -e`: the daemon may run from source or from dist). bwrap reports
 * pid 1 before its child brings `lo` up, so 127.0.0.1 may not exist yet: retry EADDRNOTAVAIL briefly.
 */
const CHILD_SCRIPT = `
const s = require('net').createServer();
let tries = 0;
const go = () => s.listen({ port: ${SANDBOX_PROXY_PORT}, host: '127.0.0.1', backlog: 511 });
s.on('error', (e) => {
  if (e.code === 'EADDRNOTAVAIL' && ++tries < 2000) return void setTimeout(go, 2);
  process.send({ error: String(e.code || e.message) }, () => process.exit(1));
});
s.on('listening', () => process.send('server', s, () => process.exit(0)));
go();
`;

/**
 * Creates 127.0.0.1:SANDBOX_PROXY_PORT in the network namespace of host pid `pid` and returns it, listening, in this
 * process. The child is started by the spawn helper (no fork of the daemon), which passes its socket on.
 */
export function listenInNetns(spawner: Spawner, nsenter: string, pid: number, timeoutMs = LISTEN_TIMEOUT_MS): Promise<Server> {
  return new Promise((resolve, reject) => {
    let done = false;
    const settle = (f: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      f();
    };
    const child = spawner.relay(nsenter, [`--net=/proc/${pid}/ns/net`, '--', process.execPath, '-e', CHILD_SCRIPT], (msg, handle) => {
      if (msg === 'server' && handle) return settle(() => resolve(handle as Server));
      const why = (msg as { error?: string })?.error ?? 'unexpected message';
      settle(() => reject(new Error(`listen on 127.0.0.1:${SANDBOX_PROXY_PORT} in the sandbox failed: ${why}`)));
    });
    const timer = setTimeout(() => settle(() => { child.kill(); reject(new Error(`no listener after ${timeoutMs} ms`)); }), timeoutMs);
    void child.ended.then((e) => settle(() => reject(new Error(e.error
      ? `cannot run ${nsenter}: ${e.error}`
      : `listener child exited with ${e.exitCode ?? e.signal}: ${e.stderr?.trim().split('\n').pop() ?? ''}`))));
  });
}

/**
 * A sandbox's proxy socket until the task's session adopts it. Before that, a connection (a pooled agent dialing
 * before its task) is dropped: nothing may answer the sandbox except its task's session.
 */
export class SandboxListener {
  private readonly guard = (s: Socket): void => {
    if (this.server.listenerCount('connection') <= 1) s.destroy();
  };

  constructor(readonly server: Server) {
    server.on('connection', this.guard);
    server.on('error', () => undefined); // accept errors (EMFILE) must not crash the daemon; the session logs its own
  }

  /** Serves the socket with the task's proxy session (the task service closes that session, and with it the socket). */
  async attach(grant: EgressGrant): Promise<void> {
    try {
      await grant.open({ adopt: this.server });
    } finally {
      this.server.off('connection', this.guard);
    }
  }

  /** Stops listening; the socket held the namespace alive. Safe to repeat, and after the session closed it. */
  close(): void {
    if (this.server.listening) this.server.close();
  }
}
