// Loads ari.v1 from proto/ once; shared by the server and the client so both read the same contract.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

export const PROTO_PATH = fileURLToPath(new URL('../../proto/ari/v1/runtime.proto', import.meta.url));

/** Wire shapes use the proto's snake_case names; enums as strings, 64-bit as numbers, bytes as Buffer. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  bytes: Buffer,
};

let cached: { definition: protoLoader.PackageDefinition; service: grpc.ServiceDefinition; Client: grpc.ServiceClientConstructor } | undefined;

export function loadAri() {
  if (!cached) {
    const definition = protoLoader.loadSync(PROTO_PATH, LOADER_OPTIONS);
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      ari: { v1: { AgentRuntime: grpc.ServiceClientConstructor } };
    };
    const Client = pkg.ari.v1.AgentRuntime;
    cached = { definition, service: Client.service, Client };
  }
  return cached;
}

export const SERVICE_NAME = 'ari.v1.AgentRuntime';

let serverService: grpc.ServiceDefinition | undefined;

/**
 * The service as the server decodes it: 64-bit fields as decimal strings, so a value a double cannot hold
 * (2^63) is quoted in its INVALID_ARGUMENT message exactly as the client sent it. Responses still take numbers.
 */
export function loadAriServer(): grpc.ServiceDefinition {
  if (!serverService) {
    const definition = protoLoader.loadSync(PROTO_PATH, { ...LOADER_OPTIONS, longs: String });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as { ari: { v1: { AgentRuntime: grpc.ServiceClientConstructor } } };
    serverService = pkg.ari.v1.AgentRuntime.service;
  }
  return serverService;
}
