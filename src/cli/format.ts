// Human-readable and JSON renderings of the wire messages the CLI prints.
import type {
  WireHealthStatus, WireLimits, WireManifest, WireTaskResponse, WireTaskUpdate, WireUsage,
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
  return {
    task_id: r.task_id, agent_id: r.agent_id, capability: r.capability, runtime: r.runtime, status: r.status,
    output: decodeJson(r.output), error: r.error, usage: r.usage, limits: r.limits, metrics: r.metrics,
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
  return { serving: h.serving, version: h.version, uptime_ms: h.uptime_ms, backends: h.backends };
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

export function formatFailure(r: WireTaskResponse): string {
  const err = r.error && (r.error.code || r.error.message) ? `${r.error.code}: ${r.error.message}` : 'no error reported';
  return `${r.status}: ${err}`;
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

export function formatUsage(u: WireUsage | null): string {
  if (!u) return 'usage: none reported';
  const parts = [`wall ${formatMs(u.wall_ms)}`, `cpu ${formatMs(u.cpu_ms)}`];
  if (u.peak_memory_bytes) parts.push(`peak memory ${formatBytes(u.peak_memory_bytes)}`);
  if (u.fuel_consumed) parts.push(`fuel ${u.fuel_consumed}`);
  if (u.output_bytes) parts.push(`output ${formatBytes(u.output_bytes)}`);
  parts.push(`exit ${u.exit_code}`);
  if (u.signal) parts.push(`signal ${u.signal}`);
  return `usage: ${parts.join(', ')}`;
}

export function formatLimits(l: WireLimits | null): string {
  if (!l) return 'none';
  const parts: string[] = [];
  if (l.timeout_ms) parts.push(`timeout ${formatMs(l.timeout_ms)}`);
  if (l.memory_bytes) parts.push(`memory ${formatBytes(l.memory_bytes)}`);
  if (l.cpu_millis) parts.push(`cpu ${formatMs(l.cpu_millis)}`);
  if (l.fuel) parts.push(`fuel ${l.fuel}`);
  if (l.pids) parts.push(`pids ${l.pids}`);
  if (l.output_bytes) parts.push(`output ${formatBytes(l.output_bytes)}`);
  return parts.join(', ') || 'none';
}

/** One line per update: time, then the status change or the agent's log line. */
export function formatUpdate(u: WireTaskUpdate): string {
  const d = new Date(u.timestamp_ms || Date.now());
  const t = `${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  if (u.kind === 'log') return `${t} log    ${u.message}`;
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
  return `${head}\n${table(['RUNTIME', 'AVAILABLE', 'QUEUED', 'RUNNING', 'REASON', 'FEATURES'], rows)}`;
}
