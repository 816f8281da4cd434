// Startup checks of the Docker backend: reach the engine, sweep what dead daemons left, run a canary container.
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { sweepTaskCgroups, TaskCgroup } from '../../sandbox/docker/task-cgroup.js';
import { DEFAULT_LIMITS, type Limits } from '../../contract/limits.js';
import type { ContainerClient, ContainerCreateSpec } from './container-client.js';
import { containerSpec, LABEL_MANAGED, LABEL_OWNER } from './container-spec.js';
import { ensureImage } from './image-builder.js';
import { sweepStaleNetworks } from './egress-network.js';
import { OWNER, ownerAlive } from './owner.js';

export const CANARY_IMAGE = 'ari/canary:1';
const BUSYBOX = '/bin/busybox';
const CANARY_TIMEOUT_MS = 20_000;
const CANARY_LIMITS: Readonly<Limits> = Object.freeze({ ...DEFAULT_LIMITS, memoryBytes: 32 * 1024 * 1024, pids: 16 });

export function unreachableReason(endpoint: string, e: unknown): string {
  const msg = (e as Error).message ?? String(e);
  return `cannot reach Docker engine at ${endpoint}: ${msg} (start it: bash scripts/setup-host.sh)`;
}

/** Removes containers (and cgroup parents) whose owning daemon process is gone. Returns how many containers. */
export async function sweepStale(client: ContainerClient, logger?: Logger): Promise<number> {
  const stale = (await client.listByLabel(`${LABEL_MANAGED}=1`)).filter((c) => !ownerAlive(c.labels[LABEL_OWNER] ?? ''));
  await Promise.all(stale.map((c) => client.remove(c.id)));
  const cgroups = sweepTaskCgroups((name) => !ownerAlive(name.split('-')[0]));
  // After the containers: a network with a container still attached cannot be removed.
  const networks = await sweepStaleNetworks(client, logger);
  if (stale.length || cgroups || networks) logger?.info({ containers: stale.length, cgroups, networks }, 'removed what earlier daemon runs left behind');
  return stale.length;
}

/** The canary image: busybox alone, built from the host's busybox-static. */
async function ensureCanaryImage(client: ContainerClient, logger?: Logger): Promise<void> {
  if (await client.imageExists(CANARY_IMAGE)) return;
  if (!existsSync(BUSYBOX)) throw new Error(`the canary image needs ${BUSYBOX} (install busybox-static: bash scripts/setup-host.sh)`);
  const dir = mkdtempSync(join(tmpdir(), 'ari-canary-'));
  try {
    copyFileSync(BUSYBOX, join(dir, 'busybox'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nUSER 65534:65534\nENTRYPOINT ["/bin/busybox", "true"]\n');
    await ensureImage(CANARY_IMAGE, dir, (line) => logger?.debug({ image: CANARY_IMAGE }, line), client);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts one container with exactly the hardening tasks get (seccomp profile, and the fenced cgroup parent when
 * `fenced`: Docker only rejects a bad profile at start). Throws with the engine's reason when it cannot run.
 */
export async function runCanary(client: ContainerClient, daemonId: string, fenced: boolean, logger?: Logger): Promise<void> {
  await ensureCanaryImage(client, logger);
  const cgroup = fenced ? new TaskCgroup(`${OWNER}-canary`) : undefined;
  try {
    cgroup?.create({ memoryBytes: CANARY_LIMITS.memoryBytes, cpuFraction: 1 });
    await runCanaryContainer(client, containerSpec({
      image: CANARY_IMAGE, volumes: [], env: {}, limits: { ...CANARY_LIMITS }, daemonId, taskId: 'canary', agentId: 'canary', cgroup,
    }));
  } finally {
    for (let i = 0; i < 50 && cgroup && !cgroup.remove(); i++) await new Promise((r) => setTimeout(r, 10));
  }
}

async function runCanaryContainer(client: ContainerClient, spec: ContainerCreateSpec): Promise<void> {
  const id = await client.create(spec);
  try {
    const { exited } = await client.watchExit(id);
    await client.start(id);
    const timeout = new Promise<never>((_, rej) => setTimeout(() => rej(new Error('canary did not exit within 20 s')), CANARY_TIMEOUT_MS).unref());
    const code = await Promise.race([exited, timeout]);
    if (code !== 0) throw new Error(`canary container exited with code ${code}`);
  } finally {
    await client.remove(id);
  }
}
