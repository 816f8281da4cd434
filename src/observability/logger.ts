// The daemon's pino logger on stderr: JSON lines for machines (ISO time, level names, snake_case keys, each key
// once), or pino-pretty for people when stderr is a terminal. ARI_LOG_LEVEL sets the level (default info).
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type { PrettyStream } from 'pino-pretty';

export type { Logger };

export type LogFormat = 'pretty' | 'json';

/** pino writes a child's bindings and the call's fields side by side; a key given twice keeps its last value. */
function dedupeKeys(line: string): string {
  // Cheap pre-check: a line whose keys are all distinct is written as is.
  const keys = line.match(/[{,]"([a-z_0-9]+)":/g);
  if (!keys || new Set(keys.map((k) => k.slice(1))).size === keys.length) return line;
  try {
    return `${JSON.stringify(JSON.parse(line))}\n`;
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
    formatters: { level: (label) => ({ level: label }) },
    hooks: { streamWrite: dedupeKeys },
  };
  if (format === 'pretty') {
    // Synchronous pretty stream on fd 2: no worker thread, and lines are not lost on exit.
    // Loaded only for a terminal: a JSON-logging daemon never loads the pretty printer.
    const pretty = createRequire(import.meta.url)('pino-pretty') as (o: object) => PrettyStream;
    return pino(options, pretty({ destination: 2, sync: true, colorize: !!process.stderr.isTTY, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o', ignore: 'svc,pid,hostname' }));
  }
  return pino(options, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
