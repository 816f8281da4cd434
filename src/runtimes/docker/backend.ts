// The Docker backend as the registry knows it: config keys, readers, schema, kill bound; dockerode loads only in create.
import type { SchedulingConfig } from '../../contract/backend-config.js';
import { existingFile, int, optStr, resolvePath, str, strList } from '../../contract/settings-reader.js';
import type { BackendDescriptor } from '../backend.js';
import type { DockerAgentSpec } from './agent-spec.js';
import { dockerEnforces } from './enforcement.js';

export interface DockerBackendConfig extends SchedulingConfig {
  /** Engine address (unix:///path.sock, tcp://host:2375); unset = $DOCKER_HOST, else /var/run/docker.sock. */
  host?: string;
}

const argv = { type: 'array', items: { type: 'string' } };

export const dockerBackend: BackendDescriptor<'docker', DockerBackendConfig, DockerAgentSpec> = {
  name: 'docker',
  scheduling: { concurrency: 4, queue: 500 },
  settingsSchema: { host: { type: 'string', description: 'engine address: unix:///var/run/docker.sock, tcp://host:2375 (default $DOCKER_HOST)' } },
  agentSchema: {
    image: { type: 'string', description: 'docker image' },
    command: { ...argv, description: 'entrypoint override (argv)' },
    build: { type: 'string', description: 'docker build context (built when the image is missing)' },
    pool: { type: 'integer', minimum: 0, maximum: 64, description: 'pre-started containers' },
  },
  readSettings: (t, at, scheduling) => ({ ...scheduling, ...(t.host !== undefined ? { host: str(t, 'host', at) } : {}) }),
  readAgent({ table: t, at, baseDir, base }) {
    const cmd = strList(t, 'command', at);
    const build = optStr(t, 'build', at);
    return {
      ...base, runtime: 'docker', image: str(t, 'image', at), pool: int(t, 'pool', at, 0, 0, 64),
      ...(cmd ? { command: cmd } : {}),
      ...(build !== undefined ? { build: existingFile(resolvePath(baseDir, build), `${at}.build`) } : {}),
    };
  },
  runs: (a) => a.image,
  // At best (task cgroups of our own); under the systemd cgroup driver the started runtime enforces less.
  enforces: dockerEnforces(true),
  killBoundMs: 200,
  async create(settings, ctx) {
    const { DockerRuntime } = await import('./docker-runtime.js');
    return new DockerRuntime({ logger: ctx.logger, daemonId: ctx.daemonId, agentLimits: ctx.agentLimits, host: settings.host });
  },
};
