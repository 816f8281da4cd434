// `ari task submit|get|cancel|watch|list|logs`: run tasks, follow and find their outcomes.
import { randomUUID } from 'node:crypto';
import type { AriClient } from '../../client/ari-client.js';
import type { WireTaskResponse } from '../../server/wire-types.js';
import { TERMINAL_STATUSES } from '../../contract/outcome.js';
import {
  CLIENT_FLAGS_HELP, CLIENT_OPTIONS, EXIT, SIZE_RULES, UsageError, clientFrom, outputMode, parseCommand, positionals, printHelp, type Io,
} from '../args.js';
import {
  decodeJson, formatFailure, formatOutput, formatUpdate, formatUsage, responseToJson, updateToJson,
} from '../format.js';
import { formatEgressLog, hasEgress } from '../format-egress.js';
import { egressLogOf } from '../../client/ari-client.js';
import { onInterrupt } from '../interrupt.js';
import { restateLimitError } from '../limit-errors.js';
import { didYouMean } from '../suggest.js';
import { LIST_HELP, LOGS_HELP, runList, runLogs } from './task-list.js';
import { ALLOW_FLAG_HELP, buildTaskRequest, LIMIT_FLAG_OPTIONS, LIMIT_FLAGS_HELP } from './task-request.js';

export const TASK_VERBS = ['submit', 'get', 'cancel', 'watch', 'list', 'logs'] as const;

export const TASK_HELP = `Usage: ari task <submit|get|cancel|watch|list|logs> ...
  submit --agent ID --capability CAP --input JSON [limits] [--allow HOST:PORT]... [--watch]
                                                                  run a task, print its result
  get ID                                                          print a task's outcome
  cancel ID                                                       cancel a queued or running task
  watch ID                                                        stream a task's updates until it ends
  list [--agent ID] [--status S] [--since DUR] [-q]               tasks the daemon keeps, newest first
  logs ID                                                         the agent's log lines kept with the outcome
Run "ari task <verb> --help" for each verb's flags.`;

export const SUBMIT_HELP = `Usage: ari task submit --agent ID --capability CAP --input JSON [options]
  --agent ID          agent to run
  --capability CAP    capability of that agent
  --input JSON        task input: JSON text, @file.json, or - to read stdin
  --task-id ID        idempotency key: the same id and request run once and return the same outcome
                      (default: a new UUID, printed on stderr as "task <id>")
${LIMIT_FLAGS_HELP}
${ALLOW_FLAG_HELP}
  --watch             submit, stream status changes, log lines and denied egress attempts, then print the result
  --cancel-on-interrupt   Ctrl-C cancels the task (default: Ctrl-C leaves it running and says how to cancel it)
Limits may only tighten the agent's own. Durations: 250ms, 5s, 2m, 1h (bare number = ms).
Sizes: ${SIZE_RULES}.
For a lone {"result": x} output, x is printed.
Exit status: 0 completed, 1 task did not complete, 2 usage error, 3 request refused or daemon unreachable, 130 interrupted.
${CLIENT_FLAGS_HELP}`;

const ID_VERBS: Record<string, string> = {
  get: 'print the outcome of a task (or its current status); for a task with a network policy, its egress\n'
    + '  usage and egress log (seq, decision, kind, host:port, address, reason, bytes up/down, ms, error) on stderr',
  cancel: 'cancel a queued or running task (a finished task is left as it is)',
  watch: 'stream a task\'s status changes, log lines and denied egress attempts ("egress ..."), then print its result',
};
export const ID_HELP = (verb: string) => `Usage: ari task ${verb} ID [-o json]\n  ${ID_VERBS[verb]}\n${CLIENT_FLAGS_HELP}`;

export const SUBMIT_OPTIONS = {
  ...CLIENT_OPTIONS,
  agent: { type: 'string' }, capability: { type: 'string' }, input: { type: 'string' },
  'task-id': { type: 'string' }, ...LIMIT_FLAG_OPTIONS, allow: { type: 'string', multiple: true },
  watch: { type: 'boolean' }, 'cancel-on-interrupt': { type: 'boolean' },
} as const;

const isTerminal = (status: string) => (TERMINAL_STATUSES as readonly string[]).includes(status);
const exitFor = (r: WireTaskResponse) => (r.status === 'COMPLETED' ? EXIT.OK : EXIT.NOT_COMPLETED);

/**
 * Prints an outcome and maps it to the exit status: 0 only for COMPLETED. `details` (task get) adds, for a task
 * with egress, its usage and egress log on stderr: stdout stays the output alone, for scripts.
 */
export function reportResult(r: WireTaskResponse, json: boolean, io: Io, details = false): number {
  const egress = hasEgress(r);
  if (json) io.out(JSON.stringify(responseToJson(r), null, 2));
  else if (r.status === 'COMPLETED') {
    io.out(formatOutput(decodeJson(r.output)));
    if (details && egress) io.err(formatUsage(r.usage, true));
  } else if (!isTerminal(r.status)) io.out(`${r.status}  task ${r.task_id}`);
  else {
    io.err(`task ${r.task_id} ${formatFailure(r)}`);
    io.err(formatUsage(r.usage, egress));
  }
  const log = egressLogOf(r);
  if (!json && details && (log.records.length || log.dropped)) io.err(formatEgressLog(log.records, log.dropped));
  return exitFor(r);
}

/** Streams updates until the terminal one; falls back to GetTask if the stream ends without a result. */
async function follow(client: AriClient, taskId: string, json: boolean, io: Io): Promise<number> {
  let final: WireTaskResponse | undefined;
  for await (const u of client.streamUpdates(taskId)) {
    if (json) io.out(JSON.stringify(updateToJson(u)));
    else io.err(formatUpdate(u));
    if (u.result && isTerminal(u.result.status)) final = u.result;
  }
  const r = final ?? await client.getTask(taskId);
  if (json) {
    if (!final) io.out(JSON.stringify(responseToJson(r)));
    return exitFor(r);
  }
  return reportResult(r, false, io);
}

/** Ctrl-C while waiting: the task lives on in the daemon, so say so (or cancel it when asked). */
function interruptible(client: AriClient, taskId: string, cancel: boolean, io: Io): () => void {
  return onInterrupt(async () => {
    if (!cancel) {
      io.err(`\ninterrupted: task ${taskId} is still running on the daemon.`);
      io.err(`  follow it: ari task watch ${taskId}\n  cancel it: ari task cancel ${taskId}  (or submit with --cancel-on-interrupt)`);
      return;
    }
    io.err(`\ninterrupted: cancelling task ${taskId}`);
    try {
      const r = await client.cancelTask(taskId, { deadlineMs: 5_000 });
      io.err(`task ${taskId} ${r.status}`);
    } catch (e) {
      io.err(`could not cancel task ${taskId}: ${(e as Error).message}; run: ari task cancel ${taskId}`);
    }
  });
}

const restate = (flags: Record<string, unknown>) => (e: unknown): never => { throw restateLimitError(e, flags as Record<string, string | undefined>); };

async function submit(argv: string[], io: Io): Promise<number> {
  const { values, positionals: extra } = parseCommand(argv, SUBMIT_OPTIONS, SUBMIT_HELP);
  if (values.help) return printHelp(io, SUBMIT_HELP);
  positionals(extra, [], SUBMIT_HELP);
  const json = outputMode(values) === 'json';
  const request = await buildTaskRequest(values, io, SUBMIT_HELP);
  // The id is chosen here, so it can be printed before the outcome (and used after Ctrl-C or a failure).
  request.task_id ||= randomUUID();
  const client = clientFrom(values);
  const off = interruptible(client, request.task_id, !!values['cancel-on-interrupt'], io);
  try {
    if (!json) io.err(`task ${request.task_id}`);
    if (!values.watch) return reportResult(await client.executeTask(request).catch(restate(values)), json, io);
    const accepted = await client.submitTask(request).catch(restate(values));
    if (!json) io.err(`task ${accepted.task_id} ${accepted.status}`);
    return await follow(client, accepted.task_id, json, io);
  } catch (e) {
    // The id goes with the failure, so a script can still find (or retry) the task.
    if (e instanceof Error) Object.assign(e, { taskId: request.task_id });
    throw e;
  } finally {
    off();
    client.close();
  }
}

async function byId(verb: string, argv: string[], io: Io): Promise<number> {
  const help = ID_HELP(verb);
  const { values, positionals: pos } = parseCommand(argv, CLIENT_OPTIONS, help);
  if (values.help) return printHelp(io, help);
  const [id] = positionals(pos, ['ID'], help);
  const json = outputMode(values) === 'json';
  const client = clientFrom(values);
  const off = verb === 'watch' ? interruptible(client, id!, false, io) : () => {};
  try {
    if (verb === 'get') return reportResult(await client.getTask(id!), json, io, true);
    if (verb === 'watch') return await follow(client, id!, json, io);
    const r = await client.cancelTask(id!);
    if (json) io.out(JSON.stringify(responseToJson(r), null, 2));
    else if (!isTerminal(r.status)) io.out(`cancel requested  task ${r.task_id} is ${r.status}`);
    else if (r.status === 'CANCELLED') io.out(`CANCELLED  task ${r.task_id}`);
    else io.err(`task ${r.task_id} already finished: ${r.status}`);
    return isTerminal(r.status) && r.status !== 'CANCELLED' ? EXIT.NOT_COMPLETED : EXIT.OK;
  } finally {
    off();
    client.close();
  }
}

/** Each task verb's complete help, for `ari help task VERB` and `ari task VERB --help`. */
export const TASK_VERB_HELP: Record<string, string> = {
  submit: SUBMIT_HELP, get: ID_HELP('get'), cancel: ID_HELP('cancel'), watch: ID_HELP('watch'), list: LIST_HELP, logs: LOGS_HELP,
};

export async function runTask(argv: string[], io: Io): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb) throw new UsageError('missing task verb', TASK_HELP);
  if (verb === '--help' || verb === '-h' || verb === 'help') return printHelp(io, rest[0] ? TASK_VERB_HELP[rest[0]] ?? TASK_HELP : TASK_HELP);
  if (verb === 'submit') return submit(rest, io);
  if (verb === 'get' || verb === 'cancel' || verb === 'watch') return byId(verb, rest, io);
  if (verb === 'list') return runList(rest, io);
  if (verb === 'logs') return runLogs(rest, io);
  const hint = didYouMean(verb, TASK_VERBS);
  throw new UsageError(`unknown task verb "${verb}"${hint}`, hint ? 'Run "ari task --help" for the task verbs.' : TASK_HELP);
}
