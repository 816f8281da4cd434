// Per-task record of every egress attempt (capped) plus plain-number counters for metrics.

export type EgressDecision = 'allowed' | 'denied';

export type DenyReason =
  | 'bad_request' | 'not_allowlisted' | 'dns_failed' | 'refused_address' | 'own_listener'
  | 'sni_mismatch' | 'tls_unparseable' | 'budget_exhausted' | 'session_closed';

export interface EgressRecord {
  seq: number;
  taskId: string;
  startedAt: number;
  kind: 'connect' | 'http' | 'unknown';
  host: string;
  port: number;
  /** The address dialed (or the first refused one); '' when resolution never happened. */
  address: string;
  decision: EgressDecision;
  /** 'allowlisted' for an allowed attempt, else a DenyReason. */
  reason: 'allowlisted' | DenyReason;
  detail: string;
  /** The allow entry that admitted it. */
  entry?: string;
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
  /** Set when an allowed connection failed or ended abnormally (ECONNREFUSED, budget, session closed). */
  error?: string;
}

/** Records kept per task; later attempts are counted in `dropped` but not kept. */
export const EGRESS_LOG_CAP = 256;

export interface EgressCounters {
  connections: Record<EgressDecision, number>;
  bytes: { up: number; down: number };
}

export function emptyCounters(): EgressCounters {
  return { connections: { allowed: 0, denied: 0 }, bytes: { up: 0, down: 0 } };
}

export class TaskEgressLog {
  readonly records: EgressRecord[] = [];
  dropped = 0;
  private seq = 0;
  constructor(readonly taskId: string, private readonly cap = EGRESS_LOG_CAP) {}

  /** A live record: the proxy updates its bytes and duration in place until the connection ends. */
  begin(kind: EgressRecord['kind'], host: string, port: number): EgressRecord {
    const r: EgressRecord = {
      seq: ++this.seq, taskId: this.taskId, startedAt: Date.now(), kind, host, port, address: '',
      decision: 'denied', reason: 'bad_request', detail: '', bytesUp: 0, bytesDown: 0, durationMs: 0,
    };
    if (this.records.length < this.cap) this.records.push(r); else this.dropped++;
    return r;
  }

  snapshot(): { records: EgressRecord[]; dropped: number } {
    return { records: this.records.map((r) => ({ ...r })), dropped: this.dropped };
  }
}
