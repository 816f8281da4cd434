// A serving daemon's /metrics: before any task every backend's gauges exist at 0 and ari_build_info is there;
// after tasks the four seed metrics carry agent, runtime and capability with the seed buckets; CANCELLED apart.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectAri, type AriClient } from '../../src/client/ari-client.js';
import { parseConfig } from '../../src/config/load-config.js';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { silentLogger } from '../../src/observability/logger.js';
import { FIXTURES } from '../helpers/test-daemon.js';

let handle: DaemonHandle;
let client: AriClient;
const scrape = async () => (await fetch(`http://${handle.metricsAddress}/metrics`)).text();

beforeAll(async () => {
  const config = parseConfig(`[server]\nlisten = "127.0.0.1:0"\nmetrics = "127.0.0.1:0"\n[storage]\npath = ""\n
[[agents]]\nid = "math"\nruntime = "wasm"\nmodule = "${FIXTURES}/math/math.wasm"\nmanifest = "${FIXTURES}/math/manifest.json"\n
[[agents]]\nid = "loop"\nruntime = "wasm"\nmodule = "${FIXTURES}/wasm-hostile/loop.wasm"\nmanifest = "${FIXTURES}/wasm-hostile/manifest.json"\n[agents.limits]\ntimeout_ms = "20s"\n`, 'metrics.toml', '/');
  handle = await startDaemon({ config, logger: silentLogger });
  client = connectAri(handle.address);
}, 60_000);
afterAll(async () => { client?.close(); await handle?.stop(); });

it('exposes zeroed per-backend gauges and ari_build_info before any task', async () => {
  const body = await scrape();
  for (const rt of ['wasm', 'native', 'docker']) {
    expect(body).toContain(`ari_queue_depth{runtime="${rt}"} 0`);
    expect(body).toContain(`ari_running_tasks{runtime="${rt}"} 0`);
    expect(body).toMatch(new RegExp(`ari_backend_up\\{runtime="${rt}"\\} [01]`));
  }
  expect(body).toMatch(/ari_build_info\{version="\d+\.\d+\.\d+[^"]*",node_version="v[^"]+"\} 1/);
  expect(body).toMatch(/# TYPE agent_tasks_received_total counter/);
});

it('counts tasks with the capability label and the seed buckets; CANCELLED is not a failure', async () => {
  expect((await client.executeTask({ agent_id: 'math', capability: 'arithmetic', input: '{"operation":"add","operands":[1,2]}' })).status).toBe('COMPLETED');
  expect((await client.executeTask({ agent_id: 'math', capability: 'arithmetic', input: '{"operation":"divide","operands":[1,0]}' })).status).toBe('FAILED');
  const spin = await client.submitTask({ agent_id: 'loop', capability: 'run', input: '{}' });
  await new Promise((r) => setTimeout(r, 300));
  expect((await client.cancelTask(spin.task_id)).status).toBe('CANCELLED');
  const body = await scrape();
  const math = 'agent="math",runtime="wasm",capability="arithmetic"';
  expect(body).toContain(`agent_tasks_received_total{${math}} 2`);
  expect(body).toContain(`agent_tasks_completed_total{${math}} 1`);
  expect(body).toContain(`agent_tasks_failed_total{${math},error="AGENT_ERROR"} 1`);
  expect(body).toContain('agent_tasks_cancelled_total{agent="loop",runtime="wasm",capability="run"} 1');
  expect(body).not.toMatch(/agent_tasks_failed_total\{[^}]*error="CANCELLED"/);
  const les = [...body.matchAll(new RegExp(`agent_task_duration_seconds_bucket\\{le="([^"]+)",${math},status="COMPLETED"\\}`, 'g'))].map((m) => m[1]);
  expect(les).toEqual(['0.01', '0.02', '0.04', '0.08', '0.16', '0.32', '0.64', '1.28', '2.56', '5.12', '+Inf']);
}, 60_000);

it('deploy/grafana-dashboard.json queries only metrics this daemon exports', async () => {
  const { readFileSync } = await import('node:fs');
  const dash = JSON.parse(readFileSync(new URL('../../deploy/grafana-dashboard.json', import.meta.url), 'utf8'));
  const exprs: string[] = dash.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
  const names = [...new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:agent|ari|process|nodejs)_[a-z0-9_]*[a-z0-9])\b/g)].map((m) => m[1]!)))];
  expect(names).toEqual(expect.arrayContaining(['agent_tasks_received_total', 'agent_task_duration_seconds_bucket', 'ari_queue_depth', 'ari_backend_up']));
  const body = await scrape();
  for (const n of names) expect(body, n).toMatch(new RegExp(`^${n}[{ ]`, 'm'));
});
