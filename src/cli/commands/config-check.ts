// `ari config check FILE`: the config validated by the same code serve uses, then what that daemon would host.
import { existsSync } from 'node:fs';
import { loadConfig } from '../../config/load-config.js';
import { backendNamed } from '../../runtimes/backends.js';
import type { Config } from '../../config/config-types.js';
import { parseHostPort } from '../../observability/metrics-server.js';
import { tracingSettings } from '../../observability/tracing.js';
import { securityFor } from '../../server/auth.js';
import { EXIT, UsageError, outputMode, parseCommand, positionals, printHelp, type Io } from '../args.js';
import { formatLimits, table } from '../format.js';
import { limitsToWireShape } from './config-limits.js';

export const CONFIG_HELP = `Usage: ari config check FILE [-o json]
  Validates FILE with the same rules as "ari serve --config FILE" (keys, units, limits under their ceilings,
  agents' modules, manifests and schemas, included agent files, TLS/auth refusals), then prints what the daemon
  would host. It does not start backends: a missing Docker engine or image is only found by serve.
  Exit status: 0 valid, 1 invalid (the message names the key and the value), 2 usage.`;

/** What the agent runs, as its backend describes it (module, image, argv). */
function what(a: Config['agents'][number]): string {
  return backendNamed(a.runtime).runs(a);
}

function describe(c: Config, warnings: string[]): string {
  const tr = tracingSettings(c.tracing);
  const lines = [
    `config ${c.source}: valid`,
    `  listen   ${c.server.listen}`,
    `  metrics  ${c.server.metrics ? `http://${c.server.metrics}/metrics (and /healthz, /readyz)` : 'off'}`,
    `  storage  ${c.storage.url ? 'PostgreSQL (fleet)' : c.storage.path ?? 'memory only'}`,
    `  auth     ${c.auth.tlsCert ? `TLS${c.auth.clientCa ? ' + client certificates' : ''}` : 'plaintext'}${c.auth.tokens.length ? `, ${c.auth.tokens.length} bearer token(s)` : ''}`,
    `  tracing  ${tr.enabled ? `on (${tr.why})` : 'off'}`,
    `  limits   default ${formatLimits(limitsToWireShape(c.limits.default))}`,
    `           max     ${formatLimits(limitsToWireShape(c.limits.max))}`,
    ...warnings.map((w) => `  warning: ${w}`),
    '',
    c.agents.length ? table(['AGENT', 'RUNTIME', 'CAPABILITIES', 'RUNS'], c.agents.map((a) => [a.id, a.runtime, a.manifest.capabilities.map((x) => x.name).join(', '), what(a)])) : 'no agents',
  ];
  return lines.join('\n');
}

export async function runConfig(argv: string[], io: Io): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') return printHelp(io, CONFIG_HELP);
  if (verb === 'schema') {
    const { configSchema } = await import('../../config/config-schema.js');
    io.out(JSON.stringify(configSchema(), null, 2));
    return EXIT.OK;
  }
  if (verb !== 'check') throw new UsageError(`unknown config verb "${verb}"`, CONFIG_HELP);
  const { values, positionals: pos } = parseCommand(rest, { json: { type: 'boolean' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } }, CONFIG_HELP);
  if (values.help) return printHelp(io, CONFIG_HELP);
  const [file] = positionals(pos, ['FILE'], CONFIG_HELP);
  if (!existsSync(file!)) throw new UsageError(`no such file "${file}"`, CONFIG_HELP);
  const config = loadConfig(file);
  // The checks serve makes before binding anything: addresses and the auth/TLS rules.
  if (config.server.metrics) parseHostPort(config.server.metrics);
  const { warnings } = securityFor(config.server.listen, config.auth);
  if (outputMode(values) === 'json') {
    io.out(JSON.stringify({
      valid: true, source: config.source, listen: config.server.listen, metrics: config.server.metrics, warnings,
      agents: config.agents.map((a) => ({ id: a.id, runtime: a.runtime, capabilities: a.manifest.capabilities.map((x) => x.name), runs: what(a) })),
    }, null, 2));
  } else io.out(describe(config, warnings));
  return EXIT.OK;
}
