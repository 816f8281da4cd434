// Keeps every status message sendable: grpc-js percent-encodes details with encodeURI, which throws on a lone
// UTF-16 surrogate (e.g. a JSON.parse error quoting half of a client's emoji) and would crash the daemon.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}
