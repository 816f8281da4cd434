// Builds and binds the gRPC server: AgentRuntime, grpc.health.v1, reflection; stops with tryShutdown then force.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { chmodSync, existsSync, unlinkSync, lstatSync } from 'node:fs';
import type { ServerConfig } from '../config/config-types.js';
import type { AriCore } from '../core/ari-core.js';
import { agentRuntimeHandlers } from './agent-runtime-service.js';
import { LOADER_OPTIONS, loadAri, PROTO_PATH, SERVICE_NAME } from './proto.js';
import { tolerantService } from './tolerant-decoding.js';

export interface RunningServer {
  /** The bound address (with the real port when 0 was asked). */
  address: string;
  health: HealthImplementation;
  stop(graceMs: number): Promise<void>;
}

export interface ServerSecurity {
  credentials: grpc.ServerCredentials;
  interceptors: grpc.ServerInterceptor[];
}

function prepareUnixSocket(path: string): void {
  // Only replace a stale socket, never an arbitrary file someone pointed us at.
  if (existsSync(path)) {
    if (!lstatSync(path).isSocket()) throw new Error(`server.listen: ${path} exists and is not a socket`);
    unlinkSync(path);
  }
}

export async function startGrpcServer(core: AriCore, cfg: ServerConfig, security: ServerSecurity): Promise<RunningServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': cfg.maxRequestBytes,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
    'grpc.keepalive_time_ms': cfg.keepaliveMs,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.max_connection_age_ms': cfg.maxConnectionAgeMs,
    'grpc.max_connection_age_grace_ms': 30_000,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
    interceptors: security.interceptors,
  });
  server.addService(tolerantService(loadAri().service), agentRuntimeHandlers(core));
  const health = new HealthImplementation({ '': 'SERVING', [SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);
  const reflectionDef = protoLoader.loadSync([PROTO_PATH, healthProtoPath], LOADER_OPTIONS);
  new ReflectionService(reflectionDef).addToServer(server);

  const unix = cfg.listen.startsWith('unix:') ? cfg.listen.slice('unix:'.length).replace(/^\/\//, '') : undefined;
  if (unix) prepareUnixSocket(unix);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(cfg.listen, security.credentials, (err, p) => (err ? reject(new Error(`cannot listen on ${cfg.listen}: ${err.message}`)) : resolve(p)));
  });
  if (unix) chmodSync(unix, cfg.socketMode);
  const address = unix ? cfg.listen : cfg.listen.replace(/:0$/, `:${port}`);

  return {
    address,
    health,
    stop: (graceMs) =>
      new Promise<void>((resolve) => {
        // tryShutdown waits for open calls and streams; it can hang on a stuck client, so force after the grace.
        const timer = setTimeout(() => { server.forceShutdown(); resolve(); }, graceMs);
        server.tryShutdown(() => { clearTimeout(timer); resolve(); });
      }),
  };
}
