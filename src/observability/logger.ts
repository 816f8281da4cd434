// The daemon's pino logger on stderr: JSON lines for machines (ISO time, level names, snake_case keys, each key
// once), or pino-pretty for people when stderr is a terminal. ARI_LOG_LEVEL sets the level (default info).
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type { PrettyStream } from 'pino-pretty';

export type { Logger };

export type LogFormat = 'pretty' | 'json';

const snakeCache = new Map<string, string>();
/** camelCase → snake_case; the few distinct keys a daemon logs are converted once. */
function snake(k: string): string {
  let s = snakeCache.get(k);
  if (s === undefined) {
    s = k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (snakeCache.size < 1024) snakeCache.set(k, s);
  }
  return s;
}

/** Keys snake_case at every depth (a logged `usage` or `limits` object is camelCase in the domain). */
function snakeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeKeys);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [snake(k), snakeKeys(x)]));
}

const CAMEL_KEY = /"[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*":/;
const UPPER = /[A-Z]/;

/**
 * snake_case keys of a log call's fields before pino serialises them (plain objects and arrays only: errors and
 * other instances go to their serializers untouched), so the line needs no parse-and-rewrite afterwards. Returns
 * `v` itself when nothing changes.
 */
function snakeFields(v: unknown): unknown {
  if (Array.isArray(v)) {
    const mapped = v.map(snakeFields);
    return mapped.some((x, i) => x !== v[i]) ? mapped : v;
  }
  if (!v || typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return v;
  let out: Record<string, unknown> | undefined;
  const src = v as Record<string, unknown>;
  for (const k in src) {
    const x = snakeFields(src[k]);
    if (out || x !== src[k] || UPPER.test(k)) (out ??= copyUpTo(src, k))[UPPER.test(k) ? snake(k) : k] = x;
  }
  return out ?? v;
}

/** The keys of `src` before `stop`, as they are (they needed no change). */
function copyUpTo(src: Record<string, unknown>, stop: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in src) {
    if (k === stop) break;
    out[k] = src[k];
  }
  return out;
}

/**
 * One normal form for every line: snake_case keys as on the wire, and each key once (pino writes a child's
 * bindings and the call's fields side by side; the call's value wins). Lines already so are written as is.
 */
function normalise(line: string): string {
  const keys = line.match(/[{,]"([A-Za-z_0-9]+)":/g);
  const dup = !!keys && new Set(keys).size !== keys.length;
  if (!dup && !CAMEL_KEY.test(line)) return line;
  try {
    return `${JSON.stringify(snakeKeys(JSON.parse(line)))}\n`;
  } catch {
    return line;
  }
}

export function defaultLogFormat(): LogFormat {
  return process.stderr.isTTY ? 'pretty' : 'json';
}

export function createLogger(level = process.env.ARI_LOG_LEVEL ?? 'info', format: LogFormat = defaultLogFormat()): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { svc: 'ari', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }), log: (o) => snakeFields(o) as Record<string, unknown> },
    hooks: { streamWrite: normalise },
  };
  if (format === 'pretty') {
    // Synchronous pretty stream on fd 2: no worker thread, and lines are not lost on exit.
    // Loaded only for a terminal: a JSON-logging daemon never loads the pretty printer.
    const pretty = createRequire(import.meta.url)('pino-pretty') as (o: object) => PrettyStream;
    return pino(options, pretty({ destination: 2, sync: true, colorize: !!process.stderr.isTTY, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o', ignore: 'svc,pid,hostname' }));
  }
  // Synchronous too: pino.destination(fd) is asynchronous by default, and a line still buffered when the daemon is
  // SIGKILLed is lost — the fleet chaos test saw a task that completed on a killed replica with no "task started".
  const destination = pino.destination({ dest: 2, sync: true });
  const logger = pino(options, destination);
  const base = JSON.stringify(options.base).slice(1, -1);
  jsonLines.set(logger, (fields, msg) => {
    const body = JSON.stringify(snakeFields(fields)).slice(1, -1);
    destination.write(`{"level":"info","time":"${new Date().toISOString()}",${base}${body ? `,${body}` : ''},"msg":${JSON.stringify(msg)}}\n`);
  });
  return logger;
}

/** JSON loggers made by createLogger, and how to write one info line of theirs directly (see infoLine). */
const jsonLines = new WeakMap<Logger, (fields: Record<string, unknown>, msg: string) => void>();

/**
 * `logger.info(fields, msg)` for the lines every task writes: on a JSON logger from createLogger the same line,
 * built without pino's generic path (issue 12: two task lines cost ~28 µs through it, ~8 µs so). Fields must be plain
 * data (no errors or class instances: those need pino's serializers) and not repeat a base key; other loggers, and
 * pretty output, go through pino.
 */
export function infoLine(logger: Logger, fields: Record<string, unknown>, msg: string): void {
  if (!logger.isLevelEnabled('info')) return;
  const direct = jsonLines.get(logger);
  if (direct) direct(fields, msg);
  else logger.info(fields, msg);
}

/** infoLine bound to `logger` (what the daemon hands the task service). */
export const infoLineOf = (logger: Logger) => (fields: Record<string, unknown>, msg: string): void => infoLine(logger, fields, msg);

export const silentLogger: Logger = pino({ level: 'silent' });
