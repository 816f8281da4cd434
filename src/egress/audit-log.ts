// Per-task record of every egress attempt (capped) plus plain-number counters for metrics.

import { EGRESS_LOG_CAP, type EgressDecision, type EgressRecord } from '../contract/egress-record.js';

export { EGRESS_LOG_CAP, type DenyReason, type EgressDecision, type EgressRecord } from '../contract/egress-record.js';

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
