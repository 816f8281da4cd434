// The daemon's logs: JSON lines when stderr is not a terminal (ISO time, level names, snake_case, each key
// once), pino-pretty on a terminal or with --log-format pretty, ARI_LOG_LEVEL honoured.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/test-daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'ari-log-'));
const script = join(dir, 'log.ts');
writeFileSync(script, `import { createLogger } from ${JSON.stringify(pathToFileURL(join(REPO, 'src/observability/logger.ts')).href)};
const fmt = process.argv[2] === 'default' ? undefined : process.argv[2];
const log = createLogger(undefined, fmt as 'pretty' | 'json' | undefined).child({ task_id: 't1', runtime: 'wasm' });
log.info({ runtime: 'docker', agent_id: 'math', usage: { wallMs: 5, peakMemoryBytes: 1 } }, 'task started');
log.debug('hidden unless debug');
`);

const lineScript = join(dir, 'lines.ts');
writeFileSync(lineScript, `import { createLogger, infoLine } from ${JSON.stringify(pathToFileURL(join(REPO, 'src/observability/logger.ts')).href)};
const log = createLogger(undefined, process.argv[2] as 'pretty' | 'json');
const fields = { task_id: 't"1', agent_id: 'mäth', status: 'FAILED', error: { code: 'X', message: 'a\\nb' }, gone: undefined, usage: { wallMs: 1.25, cpuMs: 0, peakMemoryBytes: 65536 } };
log.info(fields, 'task finished');
infoLine(log, fields, 'task finished');
infoLine(log, {}, 'no fields');
log.info({}, 'no fields');
`);

/** The script's stderr, a pipe (not a terminal). */
function stderrOf(fmt: string, env: Record<string, string> = {}): string {
  return execFileSync('sh', ['-c', `"${process.execPath}" --import tsx "${script}" ${fmt} 2>&1 >/dev/null`], { cwd: REPO, env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('daemon logs', () => {
  it('are JSON lines with ISO times, level names and each key once when stderr is not a terminal', () => {
    const lines = stderrOf('default').trim().split('\n');
    expect(lines).toHaveLength(1);
    const raw = lines[0]!;
    expect(raw.match(/"runtime":/g)).toHaveLength(1);
    const rec = JSON.parse(raw);
    expect(rec).toMatchObject({ level: 'info', svc: 'ari', task_id: 't1', runtime: 'docker', agent_id: 'math', msg: 'task started', usage: { wall_ms: 5, peak_memory_bytes: 1 } });
    expect(rec.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    for (const k of Object.keys(rec)) expect(k).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  it('infoLine writes exactly the line pino writes (the time aside), and pretty lines through pino', () => {
    const run = (fmt: string) => execFileSync('sh', ['-c', `"${process.execPath}" --import tsx "${lineScript}" ${fmt} 2>&1 >/dev/null`], { cwd: REPO, encoding: 'utf8' });
    const lines = run('json').trim().split('\n').map((l) => l.replace(/"time":"[^"]*"/, '"time":"T"'));
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe(lines[0]);
    expect(lines[2]).toBe(lines[3]);
    expect(JSON.parse(lines[1]!)).toMatchObject({ task_id: 't"1', usage: { wall_ms: 1.25, peak_memory_bytes: 65536 } });
    expect(run('pretty').match(/INFO: task finished/g)).toHaveLength(2);
  });

  it('honour ARI_LOG_LEVEL', () => {
    expect(stderrOf('json', { ARI_LOG_LEVEL: 'debug' }).trim().split('\n')).toHaveLength(2);
    expect(stderrOf('json', { ARI_LOG_LEVEL: 'warn' }).trim()).toBe('');
  });

  it('are pino-pretty for people with --log-format pretty', () => {
    const text = stderrOf('pretty');
    expect(text).toMatch(/^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} [+-]\d{4}\] INFO: task started/m);
    expect(text).toMatch(/task_id: "t1"/);
    expect(() => JSON.parse(text)).toThrow();
  });
});
