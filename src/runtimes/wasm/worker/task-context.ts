// What one task run inside a worker carries between the ABI adapters, the fuel meter and the outcome.
import type { ParsedOutput } from '../../../contract/agent-output.js';
import type { FuelMeter } from './fuel-meter.js';
import type { RunRequest } from '../shared/worker-protocol.js';

export interface TaskContext {
  req: RunRequest;
  meter: FuelMeter;
  /** Raw log text from the agent; the sink splits it into lines and caps the total. */
  log: (line: string) => void;
}

/** What an ABI adapter returns when the module ran to its end. */
export interface AbiRun {
  parsed: ParsedOutput;
  outputBytes: number;
  exitCode: number;
}
