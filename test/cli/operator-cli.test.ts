// The operator-facing CLI, as a user runs it: the real `ari` binary against a real `ari serve` (wasm agents):
// task list/logs, --version, did-you-mean, -o wide/json, unit rules, one-word errors, replay times, completion.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { connectAri } from '../../src/client/ari-client.js';
import { FIXTURES, REPO } from '../helpers/test-daemon.js';

const BIN = join(REPO, 'bin/ari.js');
const ADD = '{"operation":"add","operands":[2,3]}';
const dir = mkdtempSync(join(tmpdir(), 'ari-opcli-'));
const sock = join(dir, 'ari.sock');
const target = `unix:${sock}`;
let daemon: ChildProcess;
let daemonLog = '';

/** A seed-ABI agent that logs two lines through env.log, then answers {"output":{"result":1}}. */
async function buildLoggingAgent(): Promise<string> {
  const wabt = await wabtInit();
  const doc = '{"output":{"result":1}}';
  const wat = `(module
  (import "env" "log" (func $log (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "\\${doc.length.toString(16).padStart(2, '0')}\\00\\00\\00${doc.replaceAll('"', '\\22')}")
  (data (i32.const 1024) "hello from the agent")
  (data (i32.const 2048) "second line")
  (func (export "alloc") (param $len i32) (result i32)
    (i32.shl (memory.grow (i32.add (i32.shr_u (local.get $len) (i32.const 16)) (i32.const 1))) (i32.const 16)))
  (func (export "execute_task") (param i32 i32) (result i32)
    (call $log (i32.const 1024) (i32.const 20))
    (call $log (i32.const 2048) (i32.const 11))
    (i32.const 16)))`;
  const mod = wabt.parseWat('logger.wat', wat, {});
  const file = join(dir, 'logger.wasm');
  writeFileSync(file, Buffer.from(mod.toBinary({}).buffer));
  mod.destroy();
  return file;
}

function ari(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, timeout: 60_000, env: { ...process.env, ARI_FROM_SOURCE: '1', ARI_TARGET: target, ...env } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

beforeAll(async () => {
  const logger = await buildLoggingAgent();
  const config = join(dir, 'ari.toml');
  writeFileSync(config, `[server]\nlisten = "${target}"\nmetrics = ""\n[storage]\npath = "${join(dir, 'data')}"\n[limits.max]\ntimeout_ms = "5m"\n
[[agents]]\nid = "math"\nruntime = "wasm"\nmodule = "${FIXTURES}/math/math.wasm"\nmanifest = "${FIXTURES}/math/manifest.json"\n
[[agents]]\nid = "logger"\nruntime = "wasm"\nmodule = "${logger}"\nmanifest = "${FIXTURES}/wasm-hostile/manifest.json"\n
[[agents]]\nid = "loop"\nruntime = "wasm"\nmodule = "${FIXTURES}/wasm-hostile/loop.wasm"\nmanifest = "${FIXTURES}/wasm-hostile/manifest.json"\n[agents.limits]\ntimeout_ms = "60s"\nfuel = 1000000000000\n`);
  daemon = spawn(process.execPath, [BIN, 'serve', '--config', config], { cwd: REPO, env: { ...process.env, ARI_FROM_SOURCE: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  daemon.stderr!.on('data', (d) => { daemonLog += d; });
  for (const deadline = Date.now() + 60_000; !daemonLog.includes('ari serving');) {
    if (Date.now() > deadline || daemon.exitCode !== null) throw new Error(`ari serve did not start:\n${daemonLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 90_000);
afterAll(() => { daemon?.kill('SIGTERM'); });

describe('ari, the basics an operator reaches for', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    const r = await ari(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(new RegExp(`^ari ${version.replaceAll('.', '\\.')} \\(node v\\d+`));
  });

  it('a mistyped verb or flag gets "did you mean", not a help dump', async () => {
    for (const [args, want] of [[['tsak', 'list'], 'did you mean task?'], [['task', 'lsit'], 'did you mean list?'], [['task', 'list', '--agnet', 'x'], 'did you mean --agent?']] as const) {
      const r = await ari([...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(want);
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    }
  });

  it('"ari help VERB" is the verb\'s complete help', async () => {
    for (const [args, want] of [[['help', 'task', 'submit'], '--cancel-on-interrupt'], [['help', 'task', 'list'], '--since'], [['help', 'serve'], 'ARI_LOG_LEVEL'], [['help', 'conformance'], '--backend'], [['help', 'config'], 'config check FILE']] as const) {
      const r = await ari([...args]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(want);
    }
  });
});

describe('tasks you can find again', () => {
  it('submit prints the id on stderr; task list shows it (table, -q, -o wide, -o json, filters)', async () => {
    const sub = await ari(['task', 'submit', '--agent', 'math', '--capability', 'arithmetic', '--input', ADD]);
    expect(sub.code).toBe(0);
    expect(sub.stdout.trim()).toBe('5');
    const id = /^task (\S+)$/m.exec(sub.stderr)?.[1];
    expect(id).toBeDefined();
    const failed = await ari(['task', 'submit', '--agent', 'math', '--capability', 'arithmetic', '--input', '{"operation":"divide","operands":[1,0]}']);
    expect(failed.code).toBe(1);
    const failedId = /^task (\S+)$/m.exec(failed.stderr)![1]!;
    expect(failed.stderr).toContain(`task ${failedId} FAILED: AGENT_ERROR: `);

    const table = await ari(['task', 'list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TASK ID\s+AGENT\s+CAPABILITY\s+STATUS\s+CREATED\s+DURATION$/);
    expect(lines.findIndex((l) => l.startsWith(failedId))).toBeLessThan(lines.findIndex((l) => l.startsWith(id!))); // newest first
    expect(lines.find((l) => l.startsWith(id!))).toMatch(/math\s+arithmetic\s+COMPLETED\s+\d+s ago/);

    const quiet = await ari(['task', 'list', '-q', '--agent', 'math']);
    expect(quiet.stdout.trim().split('\n')).toEqual(expect.arrayContaining([id, failedId]));
    expect(quiet.stdout).not.toContain('TASK ID');

    const wide = await ari(['task', 'list', '-o', 'wide', '--status', 'failed']);
    expect(wide.stdout.split('\n')[0]).toMatch(/RUNTIME\s+CPU\s+PEAK MEM\s+ERROR$/);
    expect(wide.stdout).toContain(failedId);
    expect(wide.stdout).not.toContain(id!);
    expect(wide.stdout).toMatch(/wasm\s+\S+\s+\S+\s+AGENT_ERROR: division by zero/);

    const json = JSON.parse((await ari(['task', 'list', '-o', 'json', '--since', '10m', '--limit', '1'])).stdout);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ task_id: failedId, status: 'FAILED', agent_id: 'math' });
    expect(json[0].created_at_ms).toBeGreaterThan(Date.now() - 600_000);
  }, 60_000);

  it('task logs shows the agent\'s log lines kept with the outcome', async () => {
    const sub = await ari(['task', 'submit', '--agent', 'logger', '--capability', 'run', '--input', '{}']);
    expect(sub.code).toBe(0);
    const id = /^task (\S+)$/m.exec(sub.stderr)![1]!;
    const logs = await ari(['task', 'logs', id]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toBe('hello from the agent\nsecond line\n');
    const j = JSON.parse((await ari(['task', 'logs', id, '-o', 'json'])).stdout);
    expect(j).toEqual({ task_id: id, status: 'COMPLETED', lines: ['hello from the agent', 'second line'], truncated: false });
    expect((await ari(['task', 'logs', 'no-such-task'])).code).toBe(3);
  }, 60_000);

  it('a replayed update keeps its event time, not the time of the replay', async () => {
    const sub = await ari(['task', 'submit', '--agent', 'math', '--capability', 'arithmetic', '--input', ADD, '-o', 'json']);
    const done = JSON.parse(sub.stdout);
    await new Promise((r) => setTimeout(r, 1_200));
    const watched = (await ari(['task', 'watch', done.task_id, '-o', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(watched.at(-1).kind).toBe('result');
    expect(watched.at(-1).timestamp_ms).toBe(done.finished_at_ms);
  }, 60_000);
});

describe('units, errors and output modes', () => {
  it('reads sizes as Docker does, refuses ambiguous ones and quotes the value as written', async () => {
    const ok = JSON.parse((await ari(['task', 'submit', '--agent', 'math', '--capability', 'arithmetic', '--input', ADD, '--memory', '64m', '--max-output', '1k', '-o', 'json'])).stdout);
    expect(ok.limits.memory_bytes).toBe(64 * 1024 * 1024);
    expect(ok.limits.output_bytes).toBe(1024);
    const amb = await ari(['task', 'submit', '--agent', 'math', '--capability', 'arithmetic', '--input', ADD, '--memory', '64MB']);
    expect(amb.code).toBe(2);
    expect(amb.stderr).toContain('invalid --memory "64MB": "64MB" is ambiguous');
    const over = await ari(['task', 'submit', '--agent', 'math', '--capability', 'arithmetic', '--input', ADD, '--timeout', '10m']);
    expect(over.code).toBe(3);
    expect(over.stderr).toContain('--timeout 10m exceeds the operator ceiling 5m');
    expect((await ari(['task', 'submit', '--help'])).stdout).toMatch(/64m = 64 MiB.*KB\/MB\/GB are refused as ambiguous/s);
  }, 60_000);

  it('in JSON mode errors are JSON', async () => {
    const r = await ari(['task', 'get', 'no-such-task', '-o', 'json']);
    expect(r.code).toBe(3);
    const e = JSON.parse(r.stderr.trim());
    expect(e).toMatchObject({ error: { kind: 'rpc', code: 'NOT_FOUND' }, exit_code: 3 });
    const u = JSON.parse((await ari(['task', 'list', '--json', '--status', 'nope'])).stderr.trim());
    expect(u.error.kind).toBe('usage');
    expect(u.error.message).toContain('"nope"');
  });

  it('says each word once: no "CANCELLED: CANCELLED: cancelled"', async () => {
    const client = connectAri(target);
    const t = await client.submitTask({ agent_id: 'loop', capability: 'run', input: '{}' });
    await new Promise((r) => setTimeout(r, 300));
    await client.cancelTask(t.task_id);
    client.close();
    const r = await ari(['task', 'get', t.task_id]);
    expect(r.code).toBe(1);
    const line = r.stderr.split('\n')[0]!;
    expect(line).toMatch(new RegExp(`^task ${t.task_id} CANCELLED(: .+)?$`));
    expect(line).not.toMatch(/CANCELLED: CANCELLED|CANCELLED: cancell?ed$/);
  }, 60_000);

  it('completion scripts for bash and zsh come from one tree and parse', async () => {
    const bash = (await ari(['completion', 'bash'])).stdout;
    const zsh = (await ari(['completion', 'zsh'])).stdout;
    for (const word of ['submit', '--cancel-on-interrupt', '--since', '--log-format']) {
      expect(bash).toContain(word);
      expect(zsh).toContain(word);
    }
    const file = join(dir, 'ari.bash');
    writeFileSync(file, bash);
    // Completing "ari task li" offers list.
    const out = execFileSync('bash', ['-c', `source ${file}; COMP_WORDS=(ari task li); COMP_CWORD=2; _ari; echo "\${COMPREPLY[@]}"`]).toString();
    expect(out.trim()).toBe('list');
    const flags = execFileSync('bash', ['-c', `source ${file}; COMP_WORDS=(ari task submit --can); COMP_CWORD=3; _ari; echo "\${COMPREPLY[@]}"`]).toString();
    expect(flags.trim()).toBe('--cancel-on-interrupt');
  });
});

describe('Ctrl-C during submit (in a real terminal, tmux)', () => {
  const tmux = (...args: string[]) => execFileSync('tmux', args).toString();
  const pane = async (session: string, want: RegExp, ms = 30_000) => {
    let text = '';
    for (const deadline = Date.now() + ms; Date.now() < deadline;) {
      text = tmux('capture-pane', '-p', '-J', '-t', session);
      if (want.test(text)) return text;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`pane never showed ${want}:\n${text}`);
  };
  const run = (session: string, extra: string) => {
    const cmd = `ARI_FROM_SOURCE=1 ARI_TARGET=${target} ${process.execPath} ${BIN} task submit --agent loop --capability run --input '{}' ${extra}; echo "exit=$?"`;
    tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', cmd + '; sleep 30');
  };

  it('says the task is still running and how to cancel it; --cancel-on-interrupt cancels it', async () => {
    const s1 = `ari-int-${process.pid}`;
    run(s1, '');
    try {
      const started = await pane(s1, /^task (\S+)$/m);
      const id = /^task (\S+)$/m.exec(started)![1]!;
      await new Promise((r) => setTimeout(r, 500));
      tmux('send-keys', '-t', s1, 'C-c');
      const text = await pane(s1, /exit=\d+/);
      expect(text).toContain(`interrupted: task ${id} is still running on the daemon.`);
      expect(text).toContain(`cancel it: ari task cancel ${id}`);
      expect(text).toContain('exit=130');
      const client = connectAri(target);
      expect((await client.getTask(id)).status).toBe('RUNNING');
      await client.cancelTask(id);
      client.close();
    } finally {
      try { tmux('kill-session', '-t', s1); } catch { /* gone */ }
    }

    const s2 = `ari-int2-${process.pid}`;
    run(s2, '--cancel-on-interrupt');
    try {
      const started = await pane(s2, /^task (\S+)$/m);
      const id = /^task (\S+)$/m.exec(started)![1]!;
      await new Promise((r) => setTimeout(r, 500));
      tmux('send-keys', '-t', s2, 'C-c');
      const text = await pane(s2, /exit=\d+/);
      expect(text).toContain(`interrupted: cancelling task ${id}`);
      expect(text).toContain(`task ${id} CANCELLED`);
      const client = connectAri(target);
      expect((await client.getTask(id)).status).toBe('CANCELLED');
      client.close();
    } finally {
      try { tmux('kill-session', '-t', s2); } catch { /* gone */ }
    }
    expect(daemonLog).toContain('cancel requested');
  }, 120_000);
});
