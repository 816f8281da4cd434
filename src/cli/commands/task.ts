// `ari task submit|get|cancel|watch`: run tasks and follow their outcomes.
import type { AriClient } from '../../client/ari-client.js';
import type { WireTaskResponse } from '../../server/wire-types.js';
import { TERMINAL_STATUSES } from '../../contract/outcome.js';
import {
  CLIENT_FLAGS_HELP, CLIENT_OPTIONS, EXIT, UsageError, clientFrom, parseCommand, positionals, printHelp, type Io,
} from '../args.js';
import {
  decodeJson, formatFailure, formatOutput, formatUpdate, formatUsage, responseToJson, updateToJson,
} from '../format.js';
import { buildTaskRequest } from './task-request.js';

export const TASK_HELP = `Usage: ari task <submit|get|cancel|watch> ...
  submit --agent ID --capability CAP --input JSON [limits] [--watch]   run a task, print its result
  get ID                                                          print a task's outcome
  cancel ID                                                       cancel a queued or running task
  watch ID                                                        stream a task's updates until it ends
Run "ari task submit --help" for the limits flags.`;

const SUBMIT_HELP = `Usage: ari task submit --agent ID --capability CAP --input JSON [options]
  --agent ID          agent to run
  --capability CAP    capability of that agent
  --input JSON        task input: JSON text, @file.json, or - to read stdin
  --task-id ID        idempotency key: the same id and request run once and return the same outcome
  --timeout DUR       wall-clock limit (250ms, 5s, 2m)
  --memory SIZE       memory limit (64MiB, 1GiB, bytes)
  --cpu DUR           CPU time limit
  --fuel N            instruction budget (wasm)
  --pids N            process limit (docker, native)
  --max-output SIZE   output cap
  --watch             submit, stream status changes and log lines, then print the result
Limits may only tighten the agent's own. For a lone {"result": x} output, x is printed.
Exit status: 0 completed, 1 task did not complete, 2 usage error, 3 request refused or daemon unreachable.
${CLIENT_FLAGS_HELP}`;

const ID_HELP = (verb: string, what: string) => `Usage: ari task ${verb} ID [--json]\n  ${what}\n${CLIENT_FLAGS_HELP}`;

const SUBMIT_OPTIONS = {
  ...CLIENT_OPTIONS,
  agent: { type: 'string' }, capability: { type: 'string' }, input: { type: 'string' },
  'task-id': { type: 'string' }, timeout: { type: 'string' }, memory: { type: 'string' },
  cpu: { type: 'string' }, fuel: { type: 'string' }, pids: { type: 'string' }, 'max-output': { type: 'string' },
  watch: { type: 'boolean' },
} as const;

const isTerminal = (status: string) => (TERMINAL_STATUSES as readonly string[]).includes(status);

/** Prints an outcome and maps it to the exit status: 0 only for COMPLETED. */
export function reportResult(r: WireTaskResponse, json: boolean, io: Io): number {
  if (json) io.out(JSON.stringify(responseToJson(r), null, 2));
  else if (r.status === 'COMPLETED') io.out(formatOutput(decodeJson(r.output)));
  else if (!isTerminal(r.status)) io.out(`${r.status}  task ${r.task_id}`);
  else {
    io.err(formatFailure(r));
    io.err(formatUsage(r.usage));
  }
  return r.status === 'COMPLETED' ? EXIT.OK : EXIT.NOT_COMPLETED;
}

/** Streams updates until the terminal one; falls back to GetTask if the stream ends without a result. */
async function follow(client: AriClient, taskId: string, json: boolean, io: Io): Promise<number> {
  let final: WireTaskResponse | undefined;
  for await (const u of client.streamUpdates(taskId)) {
    if (json) io.out(JSON.stringify(updateToJson(u)));
    else io.err(formatUpdate(u));
    if (u.result && isTerminal(u.result.status)) final = u.result;
  }
  if (final) return json ? exitFor(final) : reportResult(final, false, io);
  const r = await client.getTask(taskId);
  if (json) {
    io.out(JSON.stringify(responseToJson(r)));
    return exitFor(r);
  }
  return reportResult(r, false, io);
}

const exitFor = (r: WireTaskResponse) => (r.status === 'COMPLETED' ? EXIT.OK : EXIT.NOT_COMPLETED);

async function submit(argv: string[], io: Io): Promise<number> {
  const { values, positionals: extra } = parseCommand(argv, SUBMIT_OPTIONS, SUBMIT_HELP);
  if (values.help) return printHelp(io, SUBMIT_HELP);
  positionals(extra, [], SUBMIT_HELP);
  const request = await buildTaskRequest(values, io, SUBMIT_HELP);
  const client = clientFrom(values);
  try {
    if (!values.watch) return reportResult(await client.executeTask(request), !!values.json, io);
    const accepted = await client.submitTask(request);
    if (!values.json) io.err(`task ${accepted.task_id} ${accepted.status}`);
    return await follow(client, accepted.task_id, !!values.json, io);
  } finally {
    client.close();
  }
}

async function byId(verb: string, argv: string[], io: Io): Promise<number> {
  const help = ID_HELP(verb, {
    get: 'print the outcome of a task (or its current status)',
    cancel: 'cancel a queued or running task',
    watch: 'stream a task\'s status changes and log lines, then print its result',
  }[verb]!);
  const { values, positionals: pos } = parseCommand(argv, CLIENT_OPTIONS, help);
  if (values.help) return printHelp(io, help);
  const [id] = positionals(pos, ['ID'], help);
  const json = !!values.json;
  const client = clientFrom(values);
  try {
    if (verb === 'get') return reportResult(await client.getTask(id!), json, io);
    if (verb === 'watch') return await follow(client, id!, json, io);
    const r = await client.cancelTask(id!);
    if (json) io.out(JSON.stringify(responseToJson(r), null, 2));
    else if (!isTerminal(r.status)) io.out(`cancel requested  task ${r.task_id} is ${r.status}`);
    else if (r.status === 'CANCELLED') io.out(`CANCELLED  task ${r.task_id}`);
    else io.err(`task ${r.task_id} already finished: ${r.status}`);
    return isTerminal(r.status) && r.status !== 'CANCELLED' ? EXIT.NOT_COMPLETED : EXIT.OK;
  } finally {
    client.close();
  }
}

export async function runTask(argv: string[], io: Io): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb) throw new UsageError('missing task verb', TASK_HELP);
  if (verb === '--help' || verb === '-h' || verb === 'help') return printHelp(io, TASK_HELP);
  if (verb === 'submit') return submit(rest, io);
  if (verb === 'get' || verb === 'cancel' || verb === 'watch') return byId(verb, rest, io);
  throw new UsageError(`unknown task verb "${verb}"`, TASK_HELP);
}
