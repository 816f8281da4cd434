// One egress attempt as recorded with its task (the proxy writes it; GetTask and `ari task get` show it).

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

/** A task's egress log as kept with its outcome. */
export interface EgressLog {
  records: EgressRecord[];
  /** Attempts past EGRESS_LOG_CAP: counted, not kept. */
  dropped: number;
}
