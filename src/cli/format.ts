// Human-readable and JSON renderings of the wire messages the CLI prints.
import { egressLogOf } from '../client/ari-client.js';
import { LIMIT_TABLE, type WireLimits } from '../contract/limits.js';
import type { LimitUnit } from '../contract/units.js';
import type {
  WireFleetStatus, WireHealthStatus, WireManifest, WireTaskLimits, WireTaskResponse, WireTaskUpdate, WireUsage,
} from '../server/wire-types.js';

/** JSON bytes → value; empty → null; bytes that are not JSON come back as their text. */
export function decodeJson(bytes: Buffer | null | undefined): unknown {
  if (!bytes || bytes.length === 0) return null;
  const text = bytes.toString('utf8');
  try { return JSON.parse(text); } catch { return text; }
}

function parseSchema(text: string): unknown {
  if (!text) return null;
  try { return JSON.parse(text); } catch { return text; }
}

/** A TaskResponse as plain JSON: output parsed back to a value instead of bytes. */
export function responseToJson(r: WireTaskResponse): Record<string, unknown> {
  const egress = egressLogOf(r);
  return {
    task_id: r.task_id, agent_id: r.agent_id, capability: r.capability, runtime: r.runtime, status: r.status,
    output: decodeJson(r.output), error: r.error, usage: r.usage, limits: r.limits, metrics: r.metrics,
    created_at_ms: Number(r.created_at_ms || 0), started_at_ms: Number(r.started_at_ms || 0), finished_at_ms: Number(r.finished_at_ms || 0),
    egress_log: egress.records, egress_log_dropped: egress.dropped,
  };
}

export function updateToJson(u: WireTaskUpdate): Record<string, unknown> {
  return {
    task_id: u.task_id, kind: u.kind, status: u.status, timestamp_ms: u.timestamp_ms, message: u.message,
    result: u.result ? responseToJson(u.result) : null,
  };
}

export function manifestToJson(m: WireManifest): Record<string, unknown> {
  return {
    id: m.id, name: m.name, version: m.version, description: m.description, runtime: m.runtime,
    capabilities: m.capabilities.map((c) => ({ name: c.name, description: c.description, schema: parseSchema(c.schema) })),
    requirements: m.requirements, limits: m.limits,
  };
}

export function healthToJson(h: WireHealthStatus): Record<string, unknown> {
  return { serving: h.serving, version: h.version, uptime_ms: h.uptime_ms, backends: h.backends, ...(h.fleet ? { fleet: h.fleet } : {}) };
}

const pretty = (v: unknown) => JSON.stringify(v, null, 2);

/** What a COMPLETED task prints: a lone `result` unwrapped (so multiply 7×6 prints 42), else the output JSON. */
export function formatOutput(output: unknown): string {
  let v = output;
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && 'result' in v) {
    v = (v as { result: unknown }).result;
  }
  return typeof v === 'string' ? v : pretty(v);
}

/** "STATUS: CODE: message", saying each thing once: no "CANCELLED: CANCELLED: cancelled". */
export function joinOnce(parts: (string | undefined)[]): string {
  const out: string[] = [];
  for (let p of parts) {
    if (!p) continue;
    for (const prev of out) if (p.startsWith(`${prev}: `)) p = p.slice(prev.length + 2);
    if (out.some((prev) => prev.toLowerCase() === p!.toLowerCase())) continue;
    out.push(p);
  }
  return out.join(': ');
}

export function formatFailure(r: WireTaskResponse): string {
  if (!r.error || !(r.error.code || r.error.message)) return `${r.status}: no error reported`;
  return joinOnce([r.status, r.error.code, r.error.message]);
}

/** "3s ago", "5m ago", "2h ago", "4d ago"; "-" for 0. */
export function formatAgo(ms: number, now = Date.now()): string {
  if (!ms) return '-';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** ps-like: newest first as the daemon lists them; wide adds runtime, usage and the error. */
export function formatTaskTable(tasks: WireTaskResponse[], wide: boolean, now = Date.now()): string {
  if (tasks.length === 0) return 'no tasks';
  const duration = (t: WireTaskResponse) => {
    const start = Number(t.started_at_ms || 0);
    if (!start) return '-';
    return formatMs(Math.max(0, (Number(t.finished_at_ms || 0) || now) - start));
  };
  const headers = ['TASK ID', 'AGENT', 'CAPABILITY', 'STATUS', 'CREATED', 'DURATION'];
  const rows = tasks.map((t) => [t.task_id, t.agent_id, t.capability, t.status, formatAgo(Number(t.created_at_ms || 0), now), duration(t)]);
  if (!wide) return table(headers, rows);
  return table([...headers, 'RUNTIME', 'CPU', 'PEAK MEM', 'ERROR'], rows.map((r, i) => {
    const t = tasks[i]!;
    const err = t.error?.code ? joinOnce([t.error.code, t.error.message]) : '-';
    return [...r, t.runtime, t.usage ? formatMs(t.usage.cpu_ms) : '-', t.usage?.peak_memory_bytes ? formatBytes(t.usage.peak_memory_bytes) : '-', err.length > 60 ? `${err.slice(0, 59)}…` : err];
  }));
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(3)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${n}B` : `${+v.toFixed(1)}${units[i]}`;
}

/** The usage line; `network` (or any egress) adds "egress: N bytes, M connections" below it, bytes exact. */
export function formatUsage(u: WireUsage | null, network = false): string {
  if (!u) return 'usage: none reported';
  const egress = network || u.egress_bytes || u.egress_connections
    ? `\negress: ${Number(u.egress_bytes ?? 0)} bytes, ${Number(u.egress_connections ?? 0)} connections` : '';
  return `${usageLine(u)}${egress}`;
}

function usageLine(u: WireUsage): string {
  const parts = [`wall ${formatMs(u.wall_ms)}`, `cpu ${formatMs(u.cpu_ms)}`];
  if (u.peak_memory_bytes) parts.push(`peak memory ${formatBytes(u.peak_memory_bytes)}`);
  if (u.fuel_consumed) parts.push(`fuel ${u.fuel_consumed}`);
  if (u.output_bytes) parts.push(`output ${formatBytes(u.output_bytes)}`);
  parts.push(`exit ${u.exit_code}`);
  if (u.signal) parts.push(`signal ${u.signal}`);
  return `usage: ${parts.join(', ')}`;
}

const FORMAT_UNIT: Record<LimitUnit, (n: number) => string> = { duration: formatMs, bytes: formatBytes, count: String };

/** The limits set (non-zero), in table order, then the allowlist: "timeout 5s, memory 64MiB, …, network a:443 b:80". */
export function formatLimits(l: WireTaskLimits | WireLimits | null): string {
  if (!l) return 'none';
  const parts = LIMIT_TABLE.filter((r) => l[r.wire]).map((r) => `${r.label} ${FORMAT_UNIT[r.unit](l[r.wire])}`);
  const allow = 'network' in l ? l.network?.allow ?? [] : [];
  if (allow.length) parts.push(`network ${allow.join(' ')}`);
  return parts.join(', ') || 'none';
}

/** One line per update: time, then the status change, the agent's log line or a denied egress attempt. */
export function formatUpdate(u: WireTaskUpdate): string {
  const d = new Date(u.timestamp_ms || Date.now());
  const t = `${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  if (u.kind === 'log') return `${t} log    ${u.message}`;
  if (u.kind === 'egress') return `${t} egress ${u.message}`;
  return `${t} ${u.status}${u.message ? `  ${u.message}` : ''}`;
}

/** Left-aligned columns, two spaces apart. */
export function table(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

export function formatAgentTable(agents: WireManifest[]): string {
  if (agents.length === 0) return 'no agents';
  return table(['ID', 'RUNTIME', 'VERSION', 'CAPABILITIES'],
    agents.map((a) => [a.id, a.runtime, a.version || '-', a.capabilities.map((c) => c.name).join(', ')]));
}

const indent = (text: string, pad: string) => text.split('\n').map((l) => pad + l).join('\n');

export function formatManifest(m: WireManifest): string {
  const lines = [`${m.id}  (${m.runtime})  ${m.name || ''} ${m.version ? `v${m.version}` : ''}`.trimEnd()];
  if (m.description) lines.push(`  ${m.description}`);
  lines.push(`  limits: ${formatLimits(m.limits)}`);
  const reqs = Object.entries(m.requirements ?? {});
  if (reqs.length) lines.push(`  requirements: ${reqs.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  for (const c of m.capabilities) {
    lines.push('', `capability ${c.name}${c.description ? `: ${c.description}` : ''}`);
    const schema = parseSchema(c.schema);
    lines.push(schema === null ? '  schema: none' : `  schema:\n${indent(pretty(schema), '    ')}`);
  }
  return lines.join('\n');
}

export function formatHealth(h: WireHealthStatus): string {
  const head = `${h.serving ? 'SERVING' : 'NOT SERVING'}  version ${h.version || '?'}  uptime ${formatMs(h.uptime_ms)}`;
  if (h.backends.length === 0) return `${head}\nno backends`;
  const rows = h.backends.map((b) => [
    b.runtime,
    b.available ? 'yes' : 'no',
    String(b.queued),
    String(b.running),
    b.reason || '-',
    Object.entries(b.features ?? {}).map(([k, v]) => `${k}=${v}`).join(' ') || '-',
  ]);
  const fleet = h.fleet ? `\n\n${formatFleet(h.fleet)}` : '';
  return `${head}\n${table(['RUNTIME', 'AVAILABLE', 'QUEUED', 'RUNNING', 'REASON', 'FEATURES'], rows)}\n\n${formatEnforcement(h)}${fleet}`;
}

/** The fleet this daemon belongs to: one row per member (free slots per backend, last heartbeat), then the queue. */
export function formatFleet(f: WireFleetStatus): string {
  const slots = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k}=${v}`).join(' ') || '-';
  const rows = f.members.map((m) => [
    m.daemon_id + (m.daemon_id === f.daemon_id ? ' (this)' : ''), m.host, m.address || '-', m.live ? 'yes' : 'no',
    slots(m.free_slots), m.heartbeat_ms ? new Date(Number(m.heartbeat_ms)).toISOString() : '-',
  ]);
  const lines = [table(['MEMBER', 'HOST', 'ADDRESS', 'LIVE', 'FREE SLOTS', 'LAST HEARTBEAT'], rows),
    `fleet queue: ${slots(f.queue_depth)}${f.store_reachable ? '' : '  (task store unreachable)'}`];
  for (const m of f.mismatches) lines.push(`manifest mismatch: ${m}`);
  return lines.join('\n');
}

/** One row per limit, one column per backend: the mechanism enforcing it there, or "-" (refused if requested). */
export function formatEnforcement(h: WireHealthStatus): string {
  const rows = LIMIT_TABLE.map((r) => [r.wire, ...h.backends.map((b) => b.enforces?.[r.wire] || '-')]);
  return table(['LIMIT', ...h.backends.map((b) => `${b.runtime.toUpperCase()} ENFORCES`)], rows);
}
