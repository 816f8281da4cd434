// `ari task list` (ps-like, newest first, filters, -q) and `ari task logs ID` (log lines kept with the outcome).
import { TERMINAL_STATUSES } from '../../contract/outcome.js';
import type { WireTaskResponse } from '../../server/wire-types.js';
import {
  CLIENT_FLAGS_HELP, CLIENT_OPTIONS, EXIT, UsageError, clientFrom, outputMode, parseCommand, parseCount, parseDuration, positionals, printHelp, type Io,
} from '../args.js';
import { formatTaskTable, responseToJson } from '../format.js';
import { didYouMean } from '../suggest.js';

const STATUSES = ['QUEUED', 'RUNNING', ...TERMINAL_STATUSES];

export const LIST_HELP = `Usage: ari task list [--agent ID] [--status STATUS] [--since DUR|TIME] [--limit N | -a] [-q] [-o table|wide|json]
  Tasks the daemon still keeps (running ones and retained outcomes), newest first.
  --agent ID          only this agent's tasks
  --status STATUS     only tasks in this status (${STATUSES.join(', ')})
  --since DUR|TIME    only tasks accepted in the last DUR (10m, 2h) or since an ISO time (2026-01-02T15:04:05Z)
  --limit N           at most N tasks (default 50)
  -a, --all           every matching task (pages through the daemon's listing)
  -q, --quiet         task ids only, one per line (e.g. for xargs ari task get)
  -o wide adds RUNTIME, CPU, PEAK MEM and ERROR columns.
${CLIENT_FLAGS_HELP}`;

export const LOGS_HELP = `Usage: ari task logs ID [-o json]
  The agent's log lines (stderr, or env.log in wasm) kept with the task's outcome, capped per task
  (a note on stderr says when the cap cut them). Live lines: ari task watch ID.
${CLIENT_FLAGS_HELP}`;

export const LIST_OPTIONS = {
  ...CLIENT_OPTIONS,
  agent: { type: 'string' }, status: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' },
  all: { type: 'boolean', short: 'a' }, quiet: { type: 'boolean', short: 'q' },
} as const;

function sinceMs(text: string | undefined, now = Date.now()): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(text);
    if (Number.isNaN(t)) throw new UsageError(`invalid --since "${text}": not a date and time (e.g. 2026-01-02T15:04:05Z)`, LIST_HELP);
    return t;
  }
  return now - parseDuration(text, '--since');
}

function statusOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const s = text.toUpperCase();
  if (!STATUSES.includes(s)) throw new UsageError(`invalid --status "${text}": expected one of ${STATUSES.join(', ')}${didYouMean(s, STATUSES)}`);
  return s;
}

export async function runList(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals: pos } = parseCommand(argv, LIST_OPTIONS, LIST_HELP);
  if (v.help) return printHelp(io, LIST_HELP);
  positionals(pos, [], LIST_HELP);
  const mode = outputMode(v);
  const query = { agentId: v.agent, status: statusOf(v.status), sinceMs: sinceMs(v.since) };
  const limit = v.all ? Infinity : v.limit ? parseCount(v.limit, '--limit') : 50;
  const client = clientFrom(v);
  const tasks: WireTaskResponse[] = [];
  try {
    let pageToken = '';
    do {
      const page = await client.listTasks({ ...query, pageToken, pageSize: Number.isFinite(limit) ? Math.min(limit - tasks.length, 1000) : 0 });
      tasks.push(...page.tasks);
      pageToken = page.next_page_token;
    } while (pageToken && tasks.length < limit);
  } finally {
    client.close();
  }
  const shown = tasks.slice(0, limit);
  if (v.quiet) {
    if (shown.length) io.out(shown.map((t) => t.task_id).join('\n'));
  } else if (mode === 'json') io.out(JSON.stringify(shown.map(responseToJson), null, 2));
  else io.out(formatTaskTable(shown, mode === 'wide'));
  return EXIT.OK;
}

export async function runLogs(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals: pos } = parseCommand(argv, CLIENT_OPTIONS, LOGS_HELP);
  if (v.help) return printHelp(io, LOGS_HELP);
  const [id] = positionals(pos, ['ID'], LOGS_HELP);
  const client = clientFrom(v);
  try {
    const logs = await client.getTaskLogs(id!);
    if (outputMode(v) === 'json') io.out(JSON.stringify({ task_id: logs.task_id, status: logs.status, lines: logs.lines, truncated: logs.truncated }, null, 2));
    else {
      if (logs.lines.length) io.out(logs.lines.join('\n'));
      if (logs.truncated) io.err(`(task ${logs.task_id}: later lines were not kept: the per-task cap was reached)`);
      if (!logs.lines.length && logs.status !== 'RUNNING' && logs.status !== 'QUEUED') io.err(`task ${logs.task_id} (${logs.status}) logged nothing`);
    }
    return EXIT.OK;
  } finally {
    client.close();
  }
}
