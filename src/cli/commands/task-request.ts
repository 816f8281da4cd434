// Builds a TaskRequest from `task submit` flags: the input checked as JSON locally, limits parsed with units.
import { readFile } from 'node:fs/promises';
import type { TaskRequestInit } from '../../client/ari-client.js';
import type { WireLimits } from '../../server/wire-types.js';
import { parseCount, parseDuration, parseSize, UsageError, type Io } from '../args.js';

export interface SubmitFlags {
  agent?: string; capability?: string; input?: string; 'task-id'?: string;
  timeout?: string; memory?: string; cpu?: string; fuel?: string; pids?: string; 'max-output'?: string;
}

/** `--input` is JSON text, `@file.json`, or `-` for stdin; invalid JSON is caught here, before any RPC. */
export async function readJsonInput(spec: string, io: Io): Promise<string> {
  let text: string;
  let source = '--input';
  if (spec === '-') {
    text = await io.readStdin();
    source = '--input from stdin';
  } else if (spec.startsWith('@')) {
    const path = spec.slice(1);
    source = `--input file "${path}"`;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${source}: ${(e as Error).message}`);
    }
  } else {
    text = spec;
  }
  try {
    JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${source} is not valid JSON: ${(e as Error).message}`);
  }
  return text;
}

/** Only the limits given on the command line; zero means "not set" on the wire. */
export function limitsFrom(f: SubmitFlags): Partial<WireLimits> | undefined {
  const l: Partial<WireLimits> = {};
  if (f.timeout !== undefined) l.timeout_ms = parseDuration(f.timeout, '--timeout');
  if (f.memory !== undefined) l.memory_bytes = parseSize(f.memory, '--memory');
  if (f.cpu !== undefined) l.cpu_millis = parseDuration(f.cpu, '--cpu');
  if (f.fuel !== undefined) l.fuel = parseCount(f.fuel, '--fuel');
  if (f.pids !== undefined) l.pids = parseCount(f.pids, '--pids');
  if (f['max-output'] !== undefined) l.output_bytes = parseSize(f['max-output'], '--max-output');
  return Object.keys(l).length ? l : undefined;
}

export async function buildTaskRequest(f: SubmitFlags, io: Io, help: string): Promise<TaskRequestInit> {
  for (const name of ['agent', 'capability', 'input'] as const) {
    if (!f[name]) throw new UsageError(`missing --${name}`, help);
  }
  // Limits first: a bad unit is reported without waiting on stdin.
  const limits = limitsFrom(f);
  return {
    task_id: f['task-id'] ?? '',
    agent_id: f.agent!,
    capability: f.capability!,
    input: await readJsonInput(f.input!, io),
    limits,
  };
}
