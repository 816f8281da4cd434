// The daemon's egress wiring end to end: config → admission → task service → a real component's wasi:http request
// through the daemon's one proxy; its own gRPC and metrics listeners refused even when listed; metrics per agent.
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { silentLogger } from '../../src/observability/logger.js';
import { FIXTURES } from '../helpers/test-daemon.js';
import { settled, startHttpUpstream, type Upstream } from '../egress/egress-harness.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const probe = (id: string, authority: string, path = '/') => `
[[agents]]
id = "${id}"
runtime = "wasm"
module = "${FIXTURES}/components/http-probe-command.wasm"
manifest = "${FIXTURES}/wasm-hostile/manifest.json"
env = { PROBE_SCHEME = "http", PROBE_AUTHORITY = "${authority}", PROBE_PATH = "${path}" }
[agents.network]
allow = ["${authority}"]
`;

let up: Upstream;
let daemon: DaemonHandle;
let grpcPort: number;
let metricsPort: number;
beforeAll(async () => {
  up = await startHttpUpstream();
  [grpcPort, metricsPort] = [await freePort(), await freePort()];
  const own = [`127.0.0.1:${grpcPort}`, `127.0.0.1:${metricsPort}`];
  const toml = `[server]\nlisten = "127.0.0.1:${grpcPort}"\nmetrics = "127.0.0.1:${metricsPort}"\n[storage]\npath = ""\n`
    + `[network]\nallow = ["127.0.0.1:${up.port}", "${own[0]}", "${own[1]}"]\n`
    + probe('fetch', `127.0.0.1:${up.port}`, '/download?bytes=4000') + probe('grpc', own[0]!) + probe('metrics', own[1]!)
    + `\n[[agents]]\nid = "plain"\nruntime = "wasm"\nmodule = "${FIXTURES}/components/http-probe-command.wasm"\nmanifest = "${FIXTURES}/wasm-hostile/manifest.json"\n`
    + `env = { PROBE_SCHEME = "http", PROBE_AUTHORITY = "127.0.0.1:${up.port}", PROBE_PATH = "/" }\n`;
  const dir = mkdtempSync(join(tmpdir(), 'ari-daemon-egress-'));
  writeFileSync(join(dir, 'ari.toml'), toml);
  daemon = await startDaemon({ config: parseConfig(toml, join(dir, 'ari.toml'), dir), logger: silentLogger });
}, 60_000);
afterAll(async () => {
  await daemon?.stop();
  await up?.close();
});

const run = async (agentId: string) => {
  const { done } = await daemon.core.tasks.submit({ taskId: '', agentId, capability: 'run', input: Buffer.from('{}'), limits: {} });
  return done;
};

describe('the daemon\'s egress', () => {
  it('an agent with a policy reaches its allowed upstream through the daemon\'s proxy; usage and log are kept', async () => {
    const before = up.connections;
    const r = await run('fetch');
    await settled(up);
    expect(r.status, JSON.stringify(r.result)).toBe('COMPLETED');
    expect(r.result!.output).toMatchObject({ stage: 'done', status: 200, bytes: 4000 });
    expect(up.connections - before).toBe(1);
    expect(r.result!.usage.egressConnections).toBe(1);
    expect(r.result!.egress!.records).toEqual([expect.objectContaining({ decision: 'allowed', host: '127.0.0.1', port: up.port })]);
    expect(r.result!.usage.egressBytes).toBe(r.result!.egress!.records[0]!.bytesUp + r.result!.egress!.records[0]!.bytesDown);
    expect((await daemon.core.tasks.get(r.taskId)).result!.egress).toEqual(r.result!.egress);
  });

  it('the daemon\'s own gRPC and metrics listeners are refused even when an entry names them', async () => {
    for (const [id, port] of [['grpc', grpcPort], ['metrics', metricsPort]] as const) {
      const r = await run(id);
      expect(r.result!.egress!.records, id).toEqual([expect.objectContaining({ decision: 'denied', reason: 'own_listener', port })]);
      expect(r.result!.usage.egressConnections).toBe(0);
    }
  });

  it('an agent without a policy has no network; metrics count per agent', async () => {
    const before = up.connections;
    const r = await run('plain');
    expect(r.result!.output).toMatchObject({ stage: 'handle', code: 15 });
    expect(r.result!.egress).toBeUndefined();
    expect(up.connections - before).toBe(0);
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toContain('ari_egress_connections_total{agent="fetch",decision="allowed"} 1');
    expect(text).toContain('ari_egress_connections_total{agent="grpc",decision="denied"} 1');
    expect(text).toContain('ari_egress_connections_total{agent="metrics",decision="denied"} 1');
    expect(text).not.toMatch(/ari_egress_\w+\{agent="plain"/);
  });
});
