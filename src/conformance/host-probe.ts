// What the suite plants on the host for hostile tasks to aim at: a loopback listener, a secret file, a victim file, an env secret.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeName as Backend } from '../contract/agent.js'; // not case-types: it imports this file
import { ariContainers, sandboxProcesses, type HostScope } from './host-scan.js';

export const ENV_SECRET_NAME = 'ARI_CONFORMANCE_SECRET';

export interface HostProbeOptions {
  /** Which sandboxes on this host are the daemon's (uid range, pid, id). */
  scope: HostScope;
  /** False when the daemon is on another host: process and container checks are then not possible. */
  hostChecks: boolean;
  /** The value set in the daemon's environment; when unknown only the variable's name is looked for. */
  envSecret?: string;
}

/** Docker removes a killed container off the answer path, and a loaded host's engine takes seconds for it. */
const DOCKER_SETTLE_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HostProbe {
  readonly dir: string;
  readonly secret = `ari-secret-${randomBytes(12).toString('hex')}`;
  readonly secretPath: string;
  readonly victimPath: string;
  readonly victimOriginal = `original content ${randomBytes(6).toString('hex')}\n`;
  /** A path that must still not exist after a task tried to create it. */
  readonly absentPath: string;
  readonly envSecretName = ENV_SECRET_NAME;
  private hits = 0;

  private constructor(readonly options: HostProbeOptions, private readonly server: Server, readonly port: number) {
    // World-readable and world-writable on purpose: only the sandbox may stand between an agent and them.
    this.dir = mkdtempSync(join(tmpdir(), 'ari-conformance-'));
    chmodSync(this.dir, 0o777);
    this.secretPath = join(this.dir, 'secret.txt');
    this.victimPath = join(this.dir, 'victim.txt');
    this.absentPath = join(this.dir, 'created-by-agent.txt');
    writeFileSync(this.secretPath, `${this.secret}\n`, { mode: 0o644 });
    server.on('connection', (s) => { this.hits++; s.destroy(); });
    this.reset();
  }

  static async open(options: HostProbeOptions): Promise<HostProbe> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    return new HostProbe(options, server, typeof addr === 'object' && addr ? addr.port : 0);
  }

  get hostChecks(): boolean { return this.options.hostChecks; }
  get envSecretValue(): string | undefined { return this.options.envSecret; }

  /** Before each task: the victim file restored, the absent path removed, the listener's count zeroed. */
  reset(): void {
    writeFileSync(this.victimPath, this.victimOriginal, { mode: 0o666 });
    chmodSync(this.victimPath, 0o666);
    rmSync(this.absentPath, { force: true });
    this.hits = 0;
  }

  listenerHits(): number { return this.hits; }

  /** How the host files were changed by the last task, or null when untouched. */
  hostDamage(): string | null {
    const now = existsSync(this.victimPath) ? readFileSync(this.victimPath, 'utf8') : null;
    if (now !== this.victimOriginal) return now === null ? `${this.victimPath} was removed` : `${this.victimPath} was modified`;
    if (existsSync(this.absentPath)) return `${this.absentPath} was created`;
    return null;
  }

  /**
   * What of a task's sandboxes is still there after it ended, waiting up to settleMs for teardown.
   * Docker: the containers labelled with the task's id (a cold start; a pooled container, labelled before its task was
   * known, is covered by the suite's end-of-run leak rows), not a count that other pools' refills can exceed.
   */
  async leftovers(backend: Backend, taskId: string, settleMs = backend === 'docker' ? DOCKER_SETTLE_MS : 3000): Promise<string[]> {
    const deadline = Date.now() + settleMs;
    for (;;) {
      const left = await this.aliveNow(backend, taskId);
      if (left.length === 0 || Date.now() >= deadline) return left;
      await sleep(100);
    }
  }

  private async aliveNow(backend: Backend, taskId: string): Promise<string[]> {
    if (backend === 'native') return sandboxProcesses(this.options.scope).map((p) => `pid ${p.pid} uid ${p.uid} ${p.comm}`);
    if (backend === 'docker') {
      const c = await ariContainers(this.options.scope);
      if (!Array.isArray(c)) return [c.message];
      return c.filter((x) => x.task === taskId).map((x) => `container ${x.id} ${x.state}`);
    }
    return [];
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
