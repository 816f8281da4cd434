// Transport security from config: TLS / mTLS credentials and a bearer-token interceptor (health stays open).
import * as grpc from '@grpc/grpc-js';
import { timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AuthConfig } from '../config/config-types.js';
import type { ServerSecurity } from './grpc-server.js';

const OPEN_PREFIXES = ['/grpc.health.v1.Health/'];

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function tokenInterceptor(tokens: string[]): grpc.ServerInterceptor {
  const allowed = tokens.map(digest);
  const ok = (header: string | undefined): boolean => {
    const m = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
    if (!m) return false;
    const d = digest(m[1].trim());
    return allowed.some((a) => timingSafeEqual(a, d));
  };
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            if (OPEN_PREFIXES.some((p) => method.path.startsWith(p))) return mdNext(metadata);
            const header = metadata.get('authorization')[0];
            if (ok(typeof header === 'string' ? header : header?.toString())) return mdNext(metadata);
            call.sendStatus({
              code: grpc.status.UNAUTHENTICATED,
              details: header ? 'invalid bearer token' : 'missing "authorization: Bearer <token>" metadata',
              metadata: new grpc.Metadata(),
            });
          },
        });
      },
    });
}

function isLoopback(listen: string): boolean {
  if (listen.startsWith('unix:')) return true;
  const host = listen.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Refuses a network-reachable listener without auth unless the operator opted in to `insecure`. */
export function securityFor(listen: string, auth: AuthConfig): ServerSecurity & { warnings: string[] } {
  const warnings: string[] = [];
  const tls = auth.tlsCert && auth.tlsKey;
  if ((auth.tlsCert && !auth.tlsKey) || (!auth.tlsCert && auth.tlsKey)) {
    throw new Error('auth: tls_cert and tls_key must be set together');
  }
  if (auth.clientCa && !tls) throw new Error('auth: client_ca (mTLS) needs tls_cert and tls_key');
  const authenticated = auth.tokens.length > 0 || !!auth.clientCa;
  if (!isLoopback(listen) && !authenticated) {
    if (!auth.insecure) {
      throw new Error(`refusing to listen on ${listen} without authentication: set [auth] tokens or client_ca, or insecure = true to accept the risk`);
    }
    warnings.push(`INSECURE: listening on ${listen} with no authentication (auth.insecure = true)`);
  }
  const credentials = tls
    ? grpc.ServerCredentials.createSsl(
        auth.clientCa ? readFileSync(auth.clientCa) : null,
        [{ cert_chain: readFileSync(auth.tlsCert!), private_key: readFileSync(auth.tlsKey!) }],
        !!auth.clientCa,
      )
    : grpc.ServerCredentials.createInsecure();
  return { credentials, interceptors: auth.tokens.length ? [tokenInterceptor(auth.tokens)] : [], warnings };
}
