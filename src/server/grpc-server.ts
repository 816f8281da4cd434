// Builds the gRPC server (AgentRuntime, grpc.health.v1, reflection) and serves it behind the connection guard.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import type { ServerConfig } from '../config/config-types.js';
import { MAX_OUTPUT_CHARS } from '../contract/agent-output.js';
import type { AriCore } from '../core/ari-core.js';
import { agentRuntimeHandlers } from './agent-runtime-service.js';
import type { ConnectionGuard, ConnectionObserver } from './connection-guard.js';
import { listenGuarded } from './guarded-listener.js';
import { LOADER_OPTIONS, loadAriServer, PROTO_PATH, SERVICE_NAME } from './proto.js';
import { tolerantService } from './tolerant-decoding.js';

export interface RunningServer {
  /** The bound address (with the real port when 0 was asked). */
  address: string;
  health: HealthImplementation;
  guard: ConnectionGuard;
  stop(graceMs: number): Promise<void>;
}

export interface ServerSecurity {
  credentials: grpc.ServerCredentials;
  interceptors: grpc.ServerInterceptor[];
  /** True when the credentials are TLS (the guard then cannot read the HTTP/2 preface itself). */
  tls?: boolean;
}

function buildServer(core: AriCore, cfg: ServerConfig, security: ServerSecurity): { server: grpc.Server; health: HealthImplementation } {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': cfg.maxRequestBytes,
    // The largest outcome (a result document at its size bound) plus the response's other fields.
    'grpc.max_send_message_length': MAX_OUTPUT_CHARS + 1024 ** 2,
    'grpc.keepalive_time_ms': cfg.keepaliveMs,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.max_connection_age_ms': cfg.maxConnectionAgeMs,
    'grpc.max_connection_age_grace_ms': 30_000,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
    // ari serves no channelz service: without this every call fills channelz's per-call trackers all the same.
    'grpc.enable_channelz': 0,
    interceptors: security.interceptors,
  });
  server.addService(tolerantService(loadAriServer()), agentRuntimeHandlers(core));
  const health = new HealthImplementation({ '': 'SERVING', [SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);
  const reflectionDef = protoLoader.loadSync([PROTO_PATH, healthProtoPath], LOADER_OPTIONS);
  new ReflectionService(reflectionDef).addToServer(server);
  return { server, health };
}

export async function startGrpcServer(core: AriCore, cfg: ServerConfig, security: ServerSecurity, observer?: ConnectionObserver): Promise<RunningServer> {
  const { server, health } = buildServer(core, cfg, security);
  const listener = await listenGuarded(server, security.credentials, !!security.tls, cfg, 'gRPC', observer);
  return { ...listener, health };
}
