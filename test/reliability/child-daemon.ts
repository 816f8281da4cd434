// Runs `ari serve` as a child process (real CLI, real signals) and reads what it logs and how much memory it holds.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectAri, type AriClient, type ConnectOptions } from '../../src/client/ari-client.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const FIXTURES = join(REPO, 'fixtures/agents');
const BIN = join(REPO, 'bin/ari.js');

export interface LogLine {
  msg: string;
  level: number;
  task_id?: string;
  [k: string]: unknown;
}

export interface ChildDaemon {
  pid: number;
  address: string;
  /** Every JSON log line so far (pino writes them to stderr). */
  logs: LogLine[];
  /** Non-JSON output (stack traces, tsx noise). */
  text: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  client(opts?: ConnectOptions): AriClient;
  rssBytes(): number;
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Writes `toml` ({{FIXTURES}} expanded) to dir/ari.toml and starts the daemon on it; resolves once it serves. */
export async function startChildDaemon(dir: string, toml: string, opts: { listen?: string; env?: Record<string, string>; readyTimeoutMs?: number } = {}): Promise<ChildDaemon> {
  const config = join(dir, 'ari.toml');
  writeFileSync(config, toml.replaceAll('{{FIXTURES}}', FIXTURES));
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--config', config, '--listen', opts.listen ?? '127.0.0.1:0'], {
    env: { ...process.env, ARI_FROM_SOURCE: '1', ARI_LOG_LEVEL: 'info', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const text: string[] = [];
  let ready: ((address: string) => void) | undefined;
  let partial = '';
  const onData = (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      let parsed: LogLine | undefined;
      try {
        parsed = line.startsWith('{') ? (JSON.parse(line) as LogLine) : undefined;
      } catch { /* not a log line */ }
      if (!parsed) { if (line.trim()) text.push(line); continue; }
      logs.push(parsed);
      if (parsed.msg === 'ari serving') ready?.(parsed.address as string);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
  const timeout = opts.readyTimeoutMs ?? 60_000;
  const address = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`ari serve did not start within ${timeout} ms:\n${text.join('\n')}\n${JSON.stringify(logs.slice(-5))}`)), timeout);
    ready = (a) => { clearTimeout(timer); res(a); };
    void exited.then((e) => { clearTimeout(timer); rej(new Error(`ari serve exited (${e.code ?? e.signal}) before serving:\n${text.join('\n')}\n${logs.map((l) => JSON.stringify(l)).join('\n')}`)); });
  });
  const pid = child.pid!;
  return {
    pid, address, logs, text, exited,
    client: (o) => connectAri(address, o),
    rssBytes: () => rssOf(pid),
    kill: (signal) => { child.kill(signal); return exited; },
  };
}

export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** How often the daemon logged 'task started' per task id: a count above 1 means a task ran twice. */
export function startsById(logs: LogLine[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const l of logs) if (l.msg === 'task started' && l.task_id) n.set(l.task_id, (n.get(l.task_id) ?? 0) + 1);
  return n;
}
