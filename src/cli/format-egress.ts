// How `ari task get` shows a task's egress: whether there is any, and the audit log as a table.
import { egressLogOf } from '../client/ari-client.js';
import type { WireEgressRecord, WireTaskResponse } from '../server/wire-types.js';
import { table } from './format.js';

/** Whether the task had a network policy or used the network: only then is egress worth a line. */
export function hasEgress(r: WireTaskResponse): boolean {
  const log = egressLogOf(r);
  return !!r.limits?.network?.allow?.length || !!r.usage?.egress_bytes || !!r.usage?.egress_connections
    || log.records.length > 0 || log.dropped > 0;
}

const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** The egress log as a table, attempts in order; "(K more not kept)" when the per-task cap dropped some. */
export function formatEgressLog(records: readonly WireEgressRecord[], dropped: number): string {
  const rows = records.map((e) => [
    String(e.seq), e.decision, e.kind, hostPort(e.host, e.port), e.address || '-', e.reason + (e.detail ? ` (${e.detail})` : ''),
    String(Number(e.bytes_up)), String(Number(e.bytes_down)), String(Number(e.duration_ms)), e.error || '-',
  ]);
  const lines = rows.length
    ? [table(['SEQ', 'DECISION', 'KIND', 'HOST:PORT', 'ADDRESS', 'REASON', 'UP', 'DOWN', 'MS', 'ERROR'], rows)]
    : ['egress log: no attempts kept'];
  if (dropped > 0) lines.push(`(${dropped} more not kept)`);
  return lines.join('\n');
}
