// `ari serve` as a child process for the native tests, optionally handed extra descriptors as a supervisor would.
import { spawn, type StdioOptions } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { connectAri, type AriClient } from '../../src/client/ari-client.js';
import { CONTAIN_BIN, CONTAIN_MANIFEST, REPO } from './native-helpers.js';

/** A native agent block for the containment probe (`args` go after the binary). */
export function containAgentToml(id: string, extra = '', args: string[] = []): string {
  return `\n[[agents]]\nid = "${id}"\nruntime = "native"\ncommand = ${JSON.stringify([CONTAIN_BIN, ...args])}\nmanifest = "${CONTAIN_MANIFEST}"\n${extra}\n`;
}

export interface ServeChild {
  pid: number;
  address: string;
  client: AriClient;
  /** Log messages so far (pino JSON lines). */
  logs: Array<{ msg: string; [k: string]: unknown }>;
  /** The daemon's end of a descriptor given as 'pipe' in `extraFds`, by descriptor number. */
  pipes: Map<number, Readable>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `ari serve` on dir/ari.toml; `extraFds` maps a descriptor number in the daemon to an open fd of ours, or 'pipe'. */
export async function startServe(dir: string, toml: string, extraFds: Record<number, number | 'pipe'> = {}): Promise<ServeChild> {
  const config = join(dir, 'ari.toml');
  writeFileSync(config, toml);
  const top = Math.max(2, ...Object.keys(extraFds).map(Number));
  const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', ...Array.from({ length: top - 2 }, (_, i) => extraFds[i + 3] ?? 'ignore')];
  const child = spawn(process.execPath, [join(REPO, 'bin/ari.js'), 'serve', '--config', config, '--listen', '127.0.0.1:0'], {
    env: { ...process.env, ARI_FROM_SOURCE: '1', ARI_LOG_LEVEL: 'info' }, stdio,
  });
  const logs: ServeChild['logs'] = [];
  const text: string[] = [];
  let partial = '';
  let ready: (a: string) => void = () => {};
  const onData = (c: Buffer): void => {
    const lines = (partial + c.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      try {
        const l = JSON.parse(line) as ServeChild['logs'][number];
        logs.push(l);
        if (l.msg === 'ari serving') ready(l.address as string);
      } catch {
        if (line.trim()) text.push(line);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const address = await new Promise<string>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`ari serve did not start in 60 s:\n${text.join('\n')}`)), 60_000);
    ready = (a) => { clearTimeout(t); res(a); };
    void exited.then((e) => { clearTimeout(t); rej(new Error(`ari serve exited (${e.code ?? e.signal}) before serving:\n${text.join('\n')}\n${JSON.stringify(logs.slice(-5))}`)); });
  });
  const pipes = new Map<number, Readable>();
  for (const [fd, v] of Object.entries(extraFds)) if (v === 'pipe') pipes.set(Number(fd), child.stdio[Number(fd)] as Readable);
  const client = connectAri(address);
  await client.waitForReady(10_000);
  return { pid: child.pid!, address, client, logs, pipes, exited, kill: (s) => { child.kill(s); return exited; } };
}
