// An optional plaintext listener serving only grpc.health.v1 (same statuses as the main server), so a
// kubelet `grpc:` probe, which cannot speak TLS, still works when the main listener requires TLS. It sits behind
// the same connection guard (handshake deadline, connection bounds) as the main listener.
import * as grpc from '@grpc/grpc-js';
import type { HealthImplementation } from 'grpc-health-check';
import type { ConnectionObserver } from './connection-guard.js';
import { listenGuarded, type ListenSettings } from './guarded-listener.js';

export async function startHealthListener(
  health: HealthImplementation, listen: string, bounds?: Omit<ListenSettings, 'listen' | 'socketMode'>, observer?: ConnectionObserver,
): Promise<{ address: string; stop(): Promise<void> }> {
  const server = new grpc.Server();
  health.addToServer(server);
  const settings = { handshakeTimeoutMs: 5_000, maxConnections: 256, maxConnectionsPerPeer: 64, ...bounds, listen };
  const listener = await listenGuarded(server, grpc.ServerCredentials.createInsecure(), false, settings, 'health', observer);
  return { address: listener.address, stop: () => listener.stop(1_000) };
}
