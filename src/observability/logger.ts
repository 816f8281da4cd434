// The daemon's pino logger: JSON lines, child loggers carry task_id / agent_id / runtime.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.ARI_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { svc: 'ari' } }, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
