// Builds a TaskRequest from `task submit` flags: the input checked as JSON locally, limits parsed with units.
import { readFile } from 'node:fs/promises';
import type { TaskRequestInit } from '../../client/ari-client.js';
import { LIMIT_TABLE, type LimitFlag, type WireLimits } from '../../contract/limits.js';
import { UNITS } from '../../contract/units.js';
import { parseEntry } from '../../egress/policy.js';
import { parseCount, parseDuration, parseSize, UsageError, type Io } from '../args.js';

export type SubmitFlags = {
  agent?: string; capability?: string; input?: string; 'task-id'?: string; allow?: string[];
} & { [F in LimitFlag]?: string };

/** One string option per limit row, for parseArgs. */
export const LIMIT_FLAG_OPTIONS = Object.fromEntries(LIMIT_TABLE.map((r) => [r.flag, { type: 'string' }])) as { [F in LimitFlag]: { type: 'string' } };

/** The limits part of `task submit --help`, one line per row, aligned with the verb's other flags. */
export const LIMIT_FLAGS_HELP = LIMIT_TABLE.map((r) => `  ${`--${r.flag} ${UNITS[r.unit].metavar}`.padEnd(26)}${r.help}`).join('\n');

export const ALLOW_FLAG_HELP = `  ${'--allow HOST:PORT'.padEnd(26)}egress only to these destinations (repeatable; a DNS name, *.suffix or IP literal,
  ${''.padEnd(26)}IPv6 in brackets): narrows the agent's own allowlist, never widens it; an agent without one has no network`;

const FLAG_PARSERS = { duration: parseDuration, bytes: parseSize, count: parseCount } as const;

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
  for (const r of LIMIT_TABLE) {
    const text = f[r.flag];
    if (text !== undefined) l[r.wire] = FLAG_PARSERS[r.unit](text, `--${r.flag}`);
  }
  return Object.keys(l).length ? l : undefined;
}

/** `--allow` entries, each checked with the daemon's own parser so a typo is caught before any RPC. */
export function allowFrom(entries: readonly string[] | undefined): string[] | undefined {
  if (!entries?.length) return undefined;
  for (const e of entries) {
    try {
      parseEntry(e);
    } catch (err) {
      throw new UsageError(`invalid --allow ${(err as Error).message}`);
    }
  }
  return [...entries];
}

export async function buildTaskRequest(f: SubmitFlags, io: Io, help: string): Promise<TaskRequestInit> {
  for (const name of ['agent', 'capability', 'input'] as const) {
    if (!f[name]) throw new UsageError(`missing --${name}`, help);
  }
  // Limits first: a bad unit is reported without waiting on stdin.
  const allow = allowFrom(f.allow);
  const limits = allow ? { ...limitsFrom(f), network: { allow } } : limitsFrom(f);
  return {
    task_id: f['task-id'] ?? '',
    agent_id: f.agent!,
    capability: f.capability!,
    input: await readJsonInput(f.input!, io),
    limits,
  };
}
