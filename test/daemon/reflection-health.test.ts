// grpcurl-style checks: server reflection lists the services and grpc.health.v1 answers per backend.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { protoPath as healthProto } from 'grpc-health-check';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const reflectionProto = join(dirname(createRequire(import.meta.url).resolve('@grpc/reflection')), '../proto/grpc/reflection/v1/reflection.proto');

let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon(`[[agents]]\nid = "math"\nruntime = "wasm"\nmodule = "{{FIXTURES}}/math/math.wasm"\nmanifest = "{{FIXTURES}}/math/manifest.json"\n`);
});
afterAll(async () => { await d?.stop(); });

function load(file: string) {
  return grpc.loadPackageDefinition(protoLoader.loadSync(file, { keepCase: true, defaults: true, enums: String })) as any;
}

it('server reflection lists ari.v1.AgentRuntime and the health service', async () => {
  const pkg = load(reflectionProto);
  const client = new pkg.grpc.reflection.v1.ServerReflection(d.handle.address, grpc.credentials.createInsecure());
  const call = client.ServerReflectionInfo();
  const services = await new Promise<string[]>((resolve, reject) => {
    call.on('data', (res: any) => { resolve(res.list_services_response.service.map((s: any) => s.name)); call.end(); });
    call.on('error', reject);
    call.write({ list_services: '' });
  });
  client.close();
  expect(services).toContain('ari.v1.AgentRuntime');
  expect(services).toContain('grpc.health.v1.Health');
});

it('grpc.health.v1 answers overall and per backend', async () => {
  const pkg = load(healthProto);
  const client = new pkg.grpc.health.v1.Health(d.handle.address, grpc.credentials.createInsecure());
  const check = (service: string) => new Promise<string>((resolve, reject) =>
    client.Check({ service }, (e: Error | null, r: any) => (e ? reject(e) : resolve(r.status))));
  expect(await check('')).toBe('SERVING');
  expect(await check('ari.v1.AgentRuntime')).toBe('SERVING');
  expect(await check('ari.wasm')).toBe('SERVING');
  await expect(check('ari.nope')).rejects.toThrow(/NOT_FOUND|Health status unknown/);
  client.close();
});
