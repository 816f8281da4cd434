// One decoder for "128 + signal number" exit statuses (bwrap and Docker both report signal deaths that way).
import { constants } from 'node:os';

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

export interface ExitStatus {
  exitCode: number;
  /** The signal that ended the process, '' when it exited by itself. */
  signal: string;
}

/** Splits a combined exit code into the exit code and the signal that killed the process (if any). */
export function decodeExitStatus(code: number): ExitStatus {
  if (code > 128 && code <= 128 + 64) return { exitCode: code, signal: SIGNAL_NAMES.get(code - 128) ?? `SIG${code - 128}` };
  return { exitCode: code, signal: '' };
}
