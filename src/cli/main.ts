// The `ari` command: dispatches verbs and turns usage and RPC errors into messages and exit codes.
import { AriRpcError } from '../client/ari-client.js';
import { EXIT, UsageError, parseCommand, positionals, printHelp, processIo, type Io } from './args.js';
import { AGENT_HELP, runAgent } from './commands/agent.js';
import { HEALTH_HELP, runHealth } from './commands/health.js';
import { TASK_HELP, runTask } from './commands/task.js';

const HELP = `ari: run untrusted agents' tasks in sandboxes behind the ARI gRPC interface.

Usage: ari <command> [flags]
  serve [--config FILE] [--listen ADDR] [--metrics ADDR]  start the daemon (no config: the example agents)
  task submit --agent ID --capability CAP --input JSON [--timeout 5s] [--memory 64MiB] [--fuel N] [--json] [--watch]
  task get|cancel|watch ID                  a task's outcome, cancel it, or follow its updates
  agent list | agent show ID                hosted agents and their manifests
  health                                    daemon and per-backend health
  conformance                               run the ARI conformance suite against a daemon

Client commands take --target ADDR (env ARI_TARGET, default 127.0.0.1:9090), --token (env ARI_TOKEN), --json.
Run "ari <command> --help" for details.`;

const SERVE_HELP = `Usage: ari serve [--config FILE] [--listen ADDR] [--metrics ADDR]
  --config FILE   TOML config (default: an embedded config hosting the example agents)
  --listen ADDR   override [server].listen: host:port or unix:/path.sock
  --metrics ADDR  override [server].metrics (host:port of /metrics; "" disables)
Stops gracefully on SIGTERM / SIGINT.`;

async function serve(argv: string[], io: Io): Promise<number> {
  const { values, positionals: pos } = parseCommand(argv, {
    config: { type: 'string' }, listen: { type: 'string' }, metrics: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  }, SERVE_HELP);
  if (values.help) return printHelp(io, SERVE_HELP);
  positionals(pos, [], SERVE_HELP);
  // Loaded on demand so client verbs do not pay for the daemon's backends.
  const { runDaemon } = await import('../daemon.js');
  await runDaemon({ configPath: values.config, listen: values.listen, metrics: values.metrics });
  return EXIT.OK;
}

/** The conformance suite is built separately; until then the verb says so. */
async function conformance(argv: string[], io: Io): Promise<number> {
  const specifier = '../conformance/run.js';
  let mod: { runConformance(argv: string[], io: Io): Promise<number> };
  try {
    mod = await import(specifier);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND' && /conformance[\\/]run/.test(err.message)) {
      io.err('conformance: not built yet');
      return EXIT.USAGE;
    }
    throw e;
  }
  return mod.runConformance(argv, io);
}

const VERBS: Record<string, { run(argv: string[], io: Io): Promise<number>; help: string }> = {
  serve: { run: serve, help: SERVE_HELP },
  task: { run: runTask, help: TASK_HELP },
  agent: { run: runAgent, help: AGENT_HELP },
  health: { run: runHealth, help: HEALTH_HELP },
  conformance: { run: conformance, help: 'Usage: ari conformance [flags]' },
};

async function dispatch(argv: string[], io: Io): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb) throw new UsageError('missing command', HELP);
  if (verb === '--help' || verb === '-h') return printHelp(io, HELP);
  if (verb === 'help') {
    const topic = rest[0] ? VERBS[rest[0]] : undefined;
    return printHelp(io, topic?.help ?? HELP);
  }
  const command = VERBS[verb];
  if (!command) throw new UsageError(`unknown command "${verb}"`, HELP);
  return command.run(rest, io);
}

/** "ari task submit" for `task submit --input ...`: the command whose --help explains the mistake. */
function helpCommand(argv: string[]): string {
  const depth = argv[0] === 'task' || argv[0] === 'agent' ? 2 : 1;
  const words = argv.slice(0, depth).filter((w) => !w.startsWith('-'));
  return ['ari', ...words].join(' ');
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}`);
      io.err(e.help ?? `Run "${helpCommand(argv)} --help" for usage.`);
      return EXIT.USAGE;
    }
    if (e instanceof AriRpcError) {
      io.err(`error: ${e.code}: ${e.details}`);
      return EXIT.RPC;
    }
    io.err(`error: ${process.env.ARI_DEBUG ? (e as Error).stack : (e as Error).message ?? e}`);
    return EXIT.NOT_COMPLETED;
  }
}

// Run when started as the `ari` command (bin/ari.js or this file), not when imported by a test.
if (/[\\/](ari(\.js)?|main\.[jt]s)$/.test(process.argv[1] ?? '')) {
  process.exitCode = await main(process.argv.slice(2));
}
