// The `ari` command: dispatches verbs and turns usage and RPC errors into messages (JSON in JSON mode) and exit codes.
import { readFileSync } from 'node:fs';
import { AriRpcError } from '../client/ari-client.js';
import { EXIT, UsageError, printHelp, processIo, type Io } from './args.js';
import { AGENT_HELP, runAgent } from './commands/agent.js';
import { HEALTH_HELP, runHealth } from './commands/health.js';
import { SERVE_HELP, serve } from './commands/serve.js';
import { TASK_HELP, TASK_VERB_HELP, runTask } from './commands/task.js';
import { joinOnce } from './format.js';
import { didYouMean } from './suggest.js';

export const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const HELP = `ari: run untrusted agents' tasks in sandboxes behind the ARI gRPC interface.

Usage: ari <command> [flags]
  serve [--config FILE] [--listen ADDR] [--metrics ADDR] [--log-format pretty|json]   start the daemon
  task submit --agent ID --capability CAP --input JSON [--timeout 5s] [--memory 64m] [--watch]
  task get|cancel|watch|logs ID             a task's outcome, cancel it, follow it, its kept log lines
  task list [--agent ID] [--status S] [-q]  tasks the daemon keeps, newest first
  agent list | agent show ID                hosted agents and their manifests
  health                                    daemon and per-backend health
  conformance                               run the ARI conformance suite against a daemon
  config check FILE                         validate a config as serve would; print what it would host
  completion bash|zsh                       shell completion script
  help [COMMAND [VERB]]                     the full help of a command
  --version                                 print the version

Client commands take --target ADDR (env ARI_TARGET, default 127.0.0.1:9090), --token (env ARI_TOKEN), -o table|wide|json.
Environment: ARI_LOG_LEVEL (daemon log level: trace, debug, info, warn, error; default info), ARI_TARGET, ARI_TOKEN.`;

async function conformance(argv: string[], io: Io): Promise<number> {
  const { runConformance } = await import('../conformance/run.js');
  return runConformance(argv, io);
}

/** The conformance help text without loading the suite for plain `ari help`. */
async function conformanceHelp(): Promise<string> {
  return (await import('../conformance/run.js')).CONFORMANCE_HELP;
}

interface Verb { run(argv: string[], io: Io): Promise<number>; help: () => string | Promise<string>; sub?: Record<string, string> }

const VERBS: Record<string, Verb> = {
  serve: { run: serve, help: () => SERVE_HELP },
  task: { run: runTask, help: () => TASK_HELP, sub: TASK_VERB_HELP },
  agent: { run: runAgent, help: () => AGENT_HELP },
  health: { run: runHealth, help: () => HEALTH_HELP },
  conformance: { run: conformance, help: conformanceHelp },
  // Loaded on demand: they pull in the config loader and the conformance suite's flag table.
  config: { run: async (a, io) => (await import('./commands/config-check.js')).runConfig(a, io), help: async () => (await import('./commands/config-check.js')).CONFIG_HELP },
  completion: { run: async (a, io) => (await import('./commands/completion.js')).runCompletion(a, io), help: async () => (await import('./commands/completion.js')).COMPLETION_HELP },
};

export const VERB_NAMES = Object.keys(VERBS);

function unknownVerb(verb: string): UsageError {
  const hint = didYouMean(verb, [...VERB_NAMES, 'help']);
  return new UsageError(`unknown command "${verb}"${hint}`, hint ? 'Run "ari --help" for the commands.' : HELP);
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb) throw new UsageError('missing command', HELP);
  if (verb === '--help' || verb === '-h') return printHelp(io, HELP);
  if (verb === '--version' || verb === '-V' || verb === 'version') {
    io.out(`ari ${VERSION} (node ${process.version})`);
    return EXIT.OK;
  }
  if (verb === 'help') {
    if (!rest[0]) return printHelp(io, HELP);
    const topic = VERBS[rest[0]];
    if (!topic) throw unknownVerb(rest[0]);
    const sub = rest[1] ? topic.sub?.[rest[1]] : undefined;
    return printHelp(io, sub ?? await topic.help());
  }
  const command = VERBS[verb];
  if (!command) throw unknownVerb(verb);
  return command.run(rest, io);
}

/** "ari task submit" for `task submit --input ...`: the command whose --help explains the mistake. */
function helpCommand(argv: string[]): string {
  const depth = argv[0] === 'task' || argv[0] === 'agent' || argv[0] === 'config' ? 2 : 1;
  const words = argv.slice(0, depth).filter((w) => !w.startsWith('-'));
  return ['ari', ...words].join(' ');
}

/** -o json / --output=json / --json anywhere: the caller parses our output, so errors are JSON too. */
export function jsonMode(argv: string[]): boolean {
  return argv.some((a, i) => a === '--json' || a === '-ojson' || a === '--output=json' || ((a === '-o' || a === '--output') && argv[i + 1] === 'json'));
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const json = jsonMode(argv);
  const fail = (code: number, kind: string, message: string, extra: Record<string, unknown> = {}, hint?: string) => {
    if (json) io.err(JSON.stringify({ error: { kind, message, ...extra }, exit_code: code }));
    else {
      io.err(`error: ${message}`);
      if (hint) io.err(hint);
    }
    return code;
  };
  try {
    return await dispatch(argv, io);
  } catch (e) {
    const taskId = (e as { taskId?: string } | null)?.taskId;
    const withTask = (x: Record<string, unknown>) => (taskId ? { ...x, task_id: taskId } : x);
    if (e instanceof UsageError) return fail(EXIT.USAGE, 'usage', e.message, {}, e.help ?? `Run "${helpCommand(argv)} --help" for usage.`);
    if (e instanceof AriRpcError) return fail(EXIT.RPC, 'rpc', joinOnce([e.code, e.details]), withTask({ code: e.code }));
    const err = e as Error & { name?: string };
    if (err?.name === 'ConfigError') return fail(EXIT.NOT_COMPLETED, 'config', err.message);
    return fail(EXIT.NOT_COMPLETED, 'internal', process.env.ARI_DEBUG ? String(err?.stack) : err?.message ?? String(e));
  }
}

// Run when started as the `ari` command (bin/ari.js or this file), not when imported by a test.
if (/[\\/](ari(\.js)?|main\.[jt]s)$/.test(process.argv[1] ?? '')) {
  process.exitCode = await main(process.argv.slice(2));
}
