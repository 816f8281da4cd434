// `ari health`: overall serving state and each backend's availability; non-zero exit when not serving.
import { CLIENT_FLAGS_HELP, CLIENT_OPTIONS, EXIT, clientFrom, outputMode, parseCommand, positionals, printHelp, type Io } from '../args.js';
import { formatHealth, healthToJson } from '../format.js';

export const HEALTH_HELP = `Usage: ari health [--json]
  Overall state, version, uptime, and per backend: availability, queue, reason and features, and for every
  limit the mechanism that enforces it on each backend ("-": not enforced there; a task setting it is refused).
  Exit status 1 when the daemon answers but is not serving.
${CLIENT_FLAGS_HELP}`;

export async function runHealth(argv: string[], io: Io): Promise<number> {
  const { values, positionals: pos } = parseCommand(argv, CLIENT_OPTIONS, HEALTH_HELP);
  if (values.help) return printHelp(io, HEALTH_HELP);
  positionals(pos, [], HEALTH_HELP);
  const client = clientFrom(values);
  try {
    const h = await client.getHealth({ deadlineMs: 10_000 });
    io.out(outputMode(values) === 'json' ? JSON.stringify(healthToJson(h), null, 2) : formatHealth(h));
    return h.serving ? EXIT.OK : EXIT.NOT_COMPLETED;
  } finally {
    client.close();
  }
}
