// With TLS on the main listener, the optional plaintext [server] health_listen answers grpc.health.v1 only
// (a kubelet `grpc:` probe cannot speak TLS), with the same statuses; the AgentRuntime is not served there.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protoPath as healthProto } from 'grpc-health-check';
import { afterAll, expect, it } from 'vitest';
import { connectAri } from '../../src/client/ari-client.js';
import { parseConfig } from '../../src/config/load-config.js';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { silentLogger } from '../../src/observability/logger.js';
import { makePki } from '../reliability/certs.js';
import { FIXTURES } from '../helpers/test-daemon.js';

let handle: DaemonHandle | undefined;
afterAll(async () => { await handle?.stop(); });

const freePort = () => new Promise<number>((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => r(p)); }); });

it('serves plaintext health beside a TLS-only AgentRuntime', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ari-hl-'));
  const pki = makePki(dir);
  const port = await freePort();
  const config = parseConfig(`[server]\nlisten = "127.0.0.1:0"\nmetrics = ""\nhealth_listen = "127.0.0.1:${port}"\n[storage]\npath = ""\n
[auth]\ntls_cert = "${pki.serverCert}"\ntls_key = "${pki.serverKey}"\n
[[agents]]\nid = "math"\nruntime = "wasm"\nmodule = "${FIXTURES}/math/math.wasm"\nmanifest = "${FIXTURES}/math/manifest.json"\n`, join(dir, 'ari.toml'), dir);
  handle = await startDaemon({ config, logger: silentLogger });
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, { keepCase: true, enums: String, defaults: true })) as any;
  const health = new pkg.grpc.health.v1.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const check = (service: string) => new Promise<string>((resolve, reject) =>
    health.Check({ service }, { deadline: Date.now() + 5_000 }, (e: Error | null, r: any) => (e ? reject(e) : resolve(r.status))));
  expect(await check('')).toBe('SERVING');
  expect(await check('ari.wasm')).toBe('SERVING');
  // Plaintext reaches health only: the AgentRuntime is not served on this port.
  const plain = connectAri(`127.0.0.1:${port}`);
  await expect(plain.getHealth({ deadlineMs: 5_000 })).rejects.toMatchObject({ code: 'UNIMPLEMENTED' });
  plain.close();
  // And the main listener really is TLS: a plaintext client does not get through.
  const main = connectAri(handle.address);
  await expect(main.getHealth({ deadlineMs: 3_000 })).rejects.toMatchObject({ code: expect.stringMatching(/UNAVAILABLE|DEADLINE_EXCEEDED/) });
  main.close();
  const stopping = handle.stop();
  handle = undefined;
  await stopping;
  health.close();
}, 60_000);
