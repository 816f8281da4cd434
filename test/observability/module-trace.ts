// Runs `ari serve` as a child with a module-resolution recorder (node:module register hooks), runs one task,
// stops it with SIGTERM and returns every module URL the daemon resolved.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connectAri } from '../../src/client/ari-client.js';
import { FIXTURES, REPO } from '../helpers/test-daemon.js';

export async function loadedModules(agentsToml: string, env: Record<string, string>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ari-modtrace-'));
  const log = join(dir, 'resolved.txt');
  writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}
`);
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
  const sock = join(dir, 'ari.sock');
  writeFileSync(join(dir, 'ari.toml'), `[server]\nlisten = "unix:${sock}"\nmetrics = ""\n[storage]\npath = ""\n${agentsToml.replaceAll('{{FIXTURES}}', FIXTURES)}`);
  const child = spawn(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, join(REPO, 'bin/ari.js'), 'serve', '--config', join(dir, 'ari.toml')], {
    cwd: REPO, env: { ...process.env, ARI_FROM_SOURCE: '1', ARI_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c) => { stderr += c; });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    for (const deadline = Date.now() + 60_000; !stderr.includes('ari serving');) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`ari serve did not start:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const client = connectAri(`unix:${sock}`);
    const r = await client.executeTask({ agent_id: 'math', capability: 'arithmetic', input: '{"operation":"add","operands":[1,2]}' });
    client.close();
    if (r.status !== 'COMPLETED') throw new Error(`task ended ${r.status}`);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
}
