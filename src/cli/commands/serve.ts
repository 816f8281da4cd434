// `ari serve`: the daemon in the foreground, logs on stderr, until SIGTERM / SIGINT.
import { EXIT, UsageError, parseCommand, positionals, printHelp, type Io } from '../args.js';

export const SERVE_OPTIONS = {
  config: { type: 'string' }, listen: { type: 'string' }, metrics: { type: 'string' }, 'log-format': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const SERVE_HELP = `Usage: ari serve [--config FILE] [--listen ADDR] [--metrics ADDR] [--log-format pretty|json]
  --config FILE        TOML config (default: an embedded config hosting the example agents); check it first
                       with "ari config check FILE"
  --listen ADDR        override [server].listen: host:port or unix:/path.sock
  --metrics ADDR       override [server].metrics (host:port of /metrics, /healthz, /readyz; "" disables)
  --log-format FMT     pretty (default when stderr is a terminal) or json (default otherwise): logs go to stderr
Environment: ARI_LOG_LEVEL=trace|debug|info|warn|error (default info); OTEL_EXPORTER_OTLP_ENDPOINT,
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and OTEL_SERVICE_NAME turn on and shape tracing like [tracing] endpoint;
DOCKER_HOST names the Docker engine when [runtimes.docker] host is unset.
Stops gracefully on SIGTERM / SIGINT: every health service turns NOT_SERVING, then in-flight tasks drain.`;

export async function serve(argv: string[], io: Io): Promise<number> {
  const { values, positionals: pos } = parseCommand(argv, SERVE_OPTIONS, SERVE_HELP);
  if (values.help) return printHelp(io, SERVE_HELP);
  positionals(pos, [], SERVE_HELP);
  const fmt = values['log-format'];
  if (fmt !== undefined && fmt !== 'pretty' && fmt !== 'json') throw new UsageError(`invalid --log-format "${fmt}": expected pretty or json`, SERVE_HELP);
  // Loaded on demand so client verbs do not pay for the daemon's backends.
  const { runDaemon } = await import('../../daemon.js');
  await runDaemon({ configPath: values.config, listen: values.listen, metrics: values.metrics, logFormat: fmt });
  return EXIT.OK;
}

