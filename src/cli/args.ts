// CLI argument plumbing: unit parsing (durations, sizes, counts), shared client flags, output modes, usage errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { connectAri, type AriClient } from '../client/ari-client.js';
import { UnitError, parseBytes, parseDurationMs, parseCount as unitCount } from '../config/units.js';
import { didYouMean } from './suggest.js';

/** Exit codes of every verb. */
export const EXIT = { OK: 0, NOT_COMPLETED: 1, USAGE: 2, RPC: 3 } as const;

/** A mistake in how the command was invoked: printed with a hint, exit 2. */
export class UsageError extends Error {
  constructor(message: string, readonly help?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The config file's unit parsers, with flag-shaped errors that quote the value as written. 0 means "unset" on the wire. */
function viaUnits(parse: (v: unknown, what: string) => number, text: string, flag: string, expected: string): number {
  let n: number;
  try {
    n = parse(text, flag);
  } catch (e) {
    if (!(e instanceof UnitError)) throw e;
    const detail = /ambiguous|too large/.test(e.message) ? e.message.replace(`${flag}: `, '') : expected;
    throw new UsageError(`invalid ${flag} "${text}": ${detail}`);
  }
  if (n <= 0) throw new UsageError(`invalid ${flag} "${text}": must be greater than zero`);
  return n;
}

/** "250ms", "5s", "2m", "1h"; a bare number is milliseconds. */
export function parseDuration(text: string, flag = 'duration'): number {
  return viaUnits(parseDurationMs, text, flag, 'expected a number with an optional unit ms, s, m or h (e.g. 250ms, 5s, 2m)');
}

export const SIZE_RULES = 'sizes as Docker reads them: 1k = 1 KiB, 64m = 64 MiB, 1g = 1 GiB (also KiB, MiB, GiB); KB/MB/GB are refused as ambiguous; a bare number is bytes';

/** "64m", "64MiB", "1g", "1000" (bytes); "64MB" is refused as ambiguous. */
export function parseSize(text: string, flag = 'size'): number {
  return viaUnits(parseBytes, text, flag, `expected bytes or a number with a unit k, m, g, KiB, MiB, GiB (e.g. 64m = 64 MiB)`);
}

/** A positive count: "1000000", "1e9", "10m". */
export function parseCount(text: string, flag = 'count'): number {
  return viaUnits(unitCount, text, flag, 'expected a positive whole number (e.g. 1000000 or 1e9)');
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags every client verb takes. */
export const CLIENT_OPTIONS = {
  target: { type: 'string' },
  token: { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  json: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export const CLIENT_FLAGS_HELP = `Client flags:
  --target ADDR      daemon address, host:port or unix:/path.sock (env ARI_TARGET, default 127.0.0.1:9090)
  --token TOKEN      bearer token (env ARI_TOKEN)
  --tls-ca FILE      connect with TLS, trusting this CA (--tls-cert/--tls-key for a client certificate)
  -o, --output FMT   table (default), wide (more columns) or json; errors are JSON too with -o json
  --json             the same as -o json
  -h, --help         this help`;

export type OutputMode = 'table' | 'wide' | 'json';

/** -o table|wide|json, with --json kept as its alias. */
export function outputMode(v: { json?: boolean; output?: string }): OutputMode {
  if (v.json) return 'json';
  const o = v.output ?? 'table';
  if (o === 'table' || o === 'wide' || o === 'json') return o;
  throw new UsageError(`invalid -o "${o}": expected table, wide or json${didYouMean(o, ['table', 'wide', 'json'])}`);
}

/** node:util parseArgs, with its errors turned into UsageErrors; a mistyped flag gets a "did you mean". */
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

export function parseCommand<O extends Options>(argv: string[], options: O, help: string): Parsed<O> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = (e as Error).message;
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(msg)?.[1];
    if (unknown) {
      const flags = Object.keys(options).map((k) => `--${k}`);
      // A "did you mean" is the whole answer; the full help only when there is no close flag.
      const hint = didYouMean(unknown, flags);
      throw new UsageError(`unknown flag ${unknown}${hint}`, hint ? undefined : help);
    }
    throw new UsageError(msg.replace(/\. To specify a positional argument.*$/s, ''), help);
  }
}

export interface ClientFlags {
  target?: string; token?: string; 'tls-ca'?: string; 'tls-cert'?: string; 'tls-key'?: string;
}

export function resolveTarget(flags: ClientFlags, env = process.env): string {
  return flags.target || env.ARI_TARGET || '127.0.0.1:9090';
}

export function clientFrom(flags: ClientFlags, env = process.env): AriClient {
  const tlsWanted = flags['tls-ca'] || flags['tls-cert'] || flags['tls-key'];
  return connectAri(resolveTarget(flags, env), {
    token: flags.token || env.ARI_TOKEN || undefined,
    tls: tlsWanted ? { ca: flags['tls-ca'], cert: flags['tls-cert'], key: flags['tls-key'] } : undefined,
  });
}

/** Exactly n positionals, else a usage error naming what is missing or extra. */
export function positionals(got: string[], names: string[], help: string): string[] {
  if (got.length < names.length) throw new UsageError(`missing ${names.slice(got.length).join(' ')}`, help);
  if (got.length > names.length) throw new UsageError(`unexpected argument "${got[names.length]}"`, help);
  return got;
}

/** Where a verb writes; swapped out by tests. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<string>;
}

export const processIo: Io = {
  out: (text) => { process.stdout.write(text + '\n'); },
  err: (text) => { process.stderr.write(text + '\n'); },
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

export function printHelp(io: Io, text: string): number {
  io.out(text);
  return EXIT.OK;
}
