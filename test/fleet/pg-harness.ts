// A real, private PostgreSQL for tests: initdb + pg_ctl in a temp dir, unix socket only, run as an unprivileged user.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** ARI_PG_BIN, else the newest Debian postgresql package's binaries (15 on Debian 12). */
function pgBin(): string {
  if (process.env.ARI_PG_BIN) return process.env.ARI_PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return join(root, versions[0] ?? '15', 'bin');
}
const BIN = pgBin();

export interface TestPostgres {
  /** A fresh database's URL (unix socket in the temp dir). */
  url(db?: string): string;
  createDatabase(name: string): Promise<string>;
  stop(): void;
  start(): void;
  destroy(): void;
  dir: string;
}

function requireBinaries(): void {
  for (const b of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(BIN, b))) throw new Error(`${join(BIN, b)} is missing: install postgresql (scripts/setup-host.sh)`);
  }
}

/** initdb refuses to run as root: as root, everything runs as `nobody` in a directory it owns. */
function asUser(): string[] {
  return process.getuid?.() === 0 ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--'] : [];
}

function run(args: string[], what: string): void {
  const [cmd, ...rest] = [...asUser(), ...args];
  const r = spawnSync(cmd!, rest, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout || r.error?.message}`);
}

export async function startTestPostgres(): Promise<TestPostgres> {
  requireBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'ari-pg-'));
  chmodSync(dir, 0o755);
  if (process.getuid?.() === 0) {
    const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
    chownSync(dir, nobody, -1);
  }
  const data = join(dir, 'data');
  run([join(BIN, 'initdb'), '-D', data, '-U', 'ari', '--auth=trust', '-E', 'UTF8', '--no-sync'], 'initdb');
  // A test database: durability traded for speed (fsync off); the socket lives in the temp dir, no TCP port at all.
  const opts = `-c listen_addresses='' -c unix_socket_directories=${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const start = () => run([join(BIN, 'pg_ctl'), '-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'], 'pg_ctl start');
  const stop = () => run([join(BIN, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop'], 'pg_ctl stop');
  start();
  const url = (db = 'postgres') => `postgresql://ari@/${db}?host=${encodeURIComponent(dir)}`;
  let running = true;
  return {
    dir,
    url,
    async createDatabase(name) {
      const c = new pg.Client({ connectionString: url() });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    stop: () => { stop(); running = false; },
    start: () => { start(); running = true; },
    destroy: () => {
      if (running) { try { stop(); } catch { /* already gone */ } }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
