// Transport security from config: TLS 1.3 / mTLS credentials, a bearer-token interceptor (health stays open),
// and the refusal to serve a network address with no authentication.
import * as grpc from '@grpc/grpc-js';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { AuthConfig } from '../config/config-types.js';
import type { ServerSecurity } from './grpc-server.js';
import { tls13Credentials } from './tls-credentials.js';

/** Probes must work without credentials (load balancers, kubelet); they reveal only SERVING / NOT_SERVING. */
const OPEN_PREFIXES = ['/grpc.health.v1.Health/'];

const MIN_TOKEN_LENGTH = 16;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function tokenInterceptor(tokens: string[]): grpc.ServerInterceptor {
  // Compare digests so the comparison is constant-time whatever the presented token's length.
  const allowed = tokens.map(digest);
  const ok = (header: string | undefined): boolean => {
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) return false;
    const d = digest(m[1]!);
    let match = false;
    for (const a of allowed) match = timingSafeEqual(a, d) || match;
    return match;
  };
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            if (OPEN_PREFIXES.some((p) => method.path.startsWith(p))) return mdNext(metadata);
            const values = metadata.get('authorization');
            const header = values.length === 1 ? values[0]!.toString() : undefined;
            if (ok(header)) return mdNext(metadata);
            // Not calling mdNext: the handler never starts, so nothing of the request is acted on.
            call.sendStatus({
              code: grpc.status.UNAUTHENTICATED,
              details: values.length === 0 ? 'missing "authorization: Bearer <token>" metadata'
                : values.length > 1 ? 'more than one authorization header' : 'invalid bearer token',
              metadata: new grpc.Metadata(),
            });
          },
        });
      },
    });
}

export function isLoopback(listen: string): boolean {
  if (listen.startsWith('unix:')) return true;
  const host = listen.replace(/^dns:(\/\/\/)?/, '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Refuses a network-reachable listener without auth unless the operator opted in to `insecure`. */
export function securityFor(listen: string, auth: AuthConfig, handshakeTimeoutMs = 5_000): ServerSecurity & { warnings: string[] } {
  const warnings: string[] = [];
  if ((auth.tlsCert && !auth.tlsKey) || (!auth.tlsCert && auth.tlsKey)) {
    throw new Error('auth: tls_cert and tls_key must be set together');
  }
  const tls = !!(auth.tlsCert && auth.tlsKey);
  if (auth.clientCa && !tls) throw new Error('auth: client_ca (mTLS) needs tls_cert and tls_key');
  const weak = auth.tokens.filter((t) => t.length < MIN_TOKEN_LENGTH || /\s/.test(t));
  if (weak.length) throw new Error(`auth.tokens: every token needs at least ${MIN_TOKEN_LENGTH} characters and no whitespace (${weak.length} do not)`);
  const authenticated = auth.tokens.length > 0 || !!auth.clientCa;
  if (!isLoopback(listen)) {
    if (!authenticated) {
      if (!auth.insecure) {
        throw new Error(`refusing to listen on ${listen} without authentication: set [auth] tokens or client_ca, or insecure = true to accept the risk`);
      }
      warnings.push(`INSECURE: listening on ${listen} with no authentication (auth.insecure = true): anyone who reaches it can run tasks`);
    } else if (!tls) {
      warnings.push(`bearer tokens travel in cleartext on ${listen}: set [auth] tls_cert and tls_key`);
    }
  }
  const credentials = tls
    ? tls13Credentials({ cert: auth.tlsCert!, key: auth.tlsKey!, clientCa: auth.clientCa, handshakeTimeoutMs })
    : grpc.ServerCredentials.createInsecure();
  const interceptors = auth.tokens.length ? [tokenInterceptor(auth.tokens)] : [];
  // No interceptor unless tokens are configured: grpc-js serves calls without one on a faster path.
  return { credentials, interceptors, warnings, tls };
}
