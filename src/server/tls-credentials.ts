// Server TLS credentials pinned to TLS 1.3 (grpc-js's createSsl offers no version option), optionally mTLS.
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';

export interface TlsFiles {
  cert: string;
  key: string;
  /** CA bundle that client certificates must chain to; set = mTLS (a client without a valid cert is refused). */
  clientCa?: string;
  /** A TLS handshake not finished by then is dropped (node's tls default is 120 s). */
  handshakeTimeoutMs?: number;
}

/**
 * grpc-js spreads the constructor options into http2.createSecureServer and the context options into
 * tls.createSecureContext, so minVersion reaches both; createSsl itself would allow TLS 1.2.
 */
class Tls13ServerCredentials extends grpc.ServerCredentials {
  constructor(files: TlsFiles) {
    const read = (path: string, what: string) => {
      try {
        return readFileSync(path);
      } catch (e) {
        throw new Error(`auth.${what}: cannot read ${path}: ${(e as Error).message}`);
      }
    };
    const mtls = files.clientCa !== undefined;
    super(
      { requestCert: mtls, rejectUnauthorized: mtls, minVersion: 'TLSv1.3', handshakeTimeout: files.handshakeTimeoutMs ?? 5_000 },
      {
        cert: read(files.cert, 'tls_cert'),
        key: read(files.key, 'tls_key'),
        ...(mtls ? { ca: read(files.clientCa!, 'client_ca') } : {}),
        minVersion: 'TLSv1.3',
      },
    );
  }

  override _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

export function tls13Credentials(files: TlsFiles): grpc.ServerCredentials {
  return new Tls13ServerCredentials(files);
}
