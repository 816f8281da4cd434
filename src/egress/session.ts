// One task's egress session: its listeners, its sockets, its budgets and usage; a breach ends all of it at once.
import type { Server, Socket } from 'node:net';
import { TaskEgressLog, type EgressRecord } from './audit-log.js';
import type { AllowEntry } from './policy.js';

export interface EgressBudgets {
  /** Bytes forwarded in both directions over all the task's connections; undefined = unlimited. */
  egressBytes?: number;
  /** Upstream connections opened; undefined = unlimited. */
  egressConnections?: number;
}

export type EgressLimit = 'egress_bytes' | 'egress_connections';

export interface EgressUsage {
  egressBytes: number;
  egressConnections: number;
  bytesUp: number;
  bytesDown: number;
  denied: number;
}

export type Direction = 'up' | 'down';

export class EgressSession {
  readonly log: TaskEgressLog;
  readonly usage: EgressUsage = { egressBytes: 0, egressConnections: 0, bytesUp: 0, bytesDown: 0, denied: 0 };
  readonly servers: Server[] = [];
  /** Why the session stopped admitting: a breached budget or closeSession. */
  ended: EgressLimit | 'closed' | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly open = new Set<EgressRecord>();

  constructor(
    readonly taskId: string,
    readonly allow: readonly AllowEntry[],
    readonly budgets: EgressBudgets,
    private readonly onBreach: (s: EgressSession, which: EgressLimit) => void,
  ) {
    this.log = new TaskEgressLog(taskId);
  }

  /** Every socket of the task, client side and upstream side, so a breach or close can end them all. */
  track(socket: Socket): void {
    if (this.ended) { socket.destroy(); return; }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  opened(record: EgressRecord): void { this.open.add(record); }

  finished(record: EgressRecord): void {
    if (!this.open.delete(record)) return;
    record.durationMs = Date.now() - record.startedAt;
  }

  /** Whether one more upstream connection fits; a full budget is breached here (an attempt beyond it). */
  roomForConnection(): boolean {
    if (this.ended) return false;
    const max = this.budgets.egressConnections;
    if (max !== undefined && this.usage.egressConnections >= max) { this.breach('egress_connections'); return false; }
    return true;
  }

  /** Admits one more upstream connection, or breaches egress_connections. */
  admit(): boolean {
    if (!this.roomForConnection()) return false;
    this.usage.egressConnections++;
    return true;
  }

  /**
   * Charges `n` bytes about to be forwarded and returns how many may go: all of them, or only those up to the
   * budget — in which case the session is breached right after the caller forwards that remainder.
   */
  charge(dir: Direction, n: number): { allowed: number; crossed: boolean } {
    if (this.ended) return { allowed: 0, crossed: false };
    const max = this.budgets.egressBytes;
    const allowed = max === undefined ? n : Math.max(0, Math.min(n, max - this.usage.egressBytes));
    this.usage.egressBytes += allowed;
    if (dir === 'up') this.usage.bytesUp += allowed; else this.usage.bytesDown += allowed;
    return { allowed, crossed: allowed < n };
  }

  breach(which: EgressLimit): void {
    if (this.ended) return;
    this.end(which);
    this.onBreach(this, which);
  }

  /** Stops admitting, destroys every socket and closes the listeners; idempotent. */
  end(why: EgressLimit | 'closed'): void {
    this.ended ??= why;
    for (const r of this.open) { r.error ??= why === 'closed' ? 'session closed' : `${why} budget exceeded`; this.finished(r); }
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    for (const srv of this.servers) srv.close();
  }
}
