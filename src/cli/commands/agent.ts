// `ari agent list|show`: the agents a daemon hosts and their manifests.
import {
  CLIENT_FLAGS_HELP, CLIENT_OPTIONS, EXIT, UsageError, clientFrom, outputMode, parseCommand, positionals, printHelp, type Io,
} from '../args.js';
import { formatAgentTable, formatManifest, manifestToJson } from '../format.js';

export const AGENT_HELP = `Usage: ari agent <list|show> ...
  list [--json]       agents with their runtime, version and capabilities
  show ID [--json]    one agent's manifest, with each capability's input schema
${CLIENT_FLAGS_HELP}`;

export async function runAgent(argv: string[], io: Io): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb) throw new UsageError('missing agent verb', AGENT_HELP);
  if (verb === '--help' || verb === '-h' || verb === 'help') return printHelp(io, AGENT_HELP);
  if (verb !== 'list' && verb !== 'show') throw new UsageError(`unknown agent verb "${verb}"`, AGENT_HELP);

  const { values, positionals: pos } = parseCommand(rest, CLIENT_OPTIONS, AGENT_HELP);
  if (values.help) return printHelp(io, AGENT_HELP);
  const [id] = positionals(pos, verb === 'show' ? ['ID'] : [], AGENT_HELP);
  const client = clientFrom(values);
  try {
    if (verb === 'list') {
      const agents = await client.listAgents();
      io.out(outputMode(values) === 'json' ? JSON.stringify(agents.map(manifestToJson), null, 2) : formatAgentTable(agents));
    } else {
      const m = await client.getManifest(id);
      io.out(outputMode(values) === 'json' ? JSON.stringify(manifestToJson(m), null, 2) : formatManifest(m));
    }
    return EXIT.OK;
  } finally {
    client.close();
  }
}
