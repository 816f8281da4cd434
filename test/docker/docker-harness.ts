// Shared setup of the Docker tests: a reachable engine (or a failure saying how to get one), fixture images,
// agent specs and limits, and a view of the containers a daemon id left in the engine.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AgentSpec, ExecutionTask } from '../../src/contract/agent.js';
import { DockerodeClient } from '../../src/runtimes/docker/dockerode-client.js';
import { ensureImage, FIXTURE_IMAGES_DIR } from '../../src/runtimes/docker/image-builder.js';
import { DEFAULT_LIMITS, type Limits } from '../../src/contract/limits.js';
import { fixtureTag } from '../../fixtures/agents/docker/build-images.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const engine = new DockerodeClient();

/** Fails (never skips) when no engine answers, naming the fix. */
export async function requireEngine(): Promise<void> {
  try {
    await engine.ping();
  } catch (e) {
    throw new Error(`Docker engine unreachable at ${engine.endpoint} (${(e as Error).message}) — start dockerd: bash scripts/setup-host.sh`);
  }
  await Promise.all(['math', 'hostile', 'volume'].map((n) => ensureImage(fixtureImage(n), join(FIXTURE_IMAGES_DIR, n), () => {}, engine)));
}

/** The ref of a fixture image (fixtures/agents/docker/<name>/, tagged by its TAG file). */
export function fixtureImage(name: string): string {
  return `ari-fixtures/${name}:${fixtureTag(join(FIXTURE_IMAGES_DIR, name))}`;
}

const manifest = (p: string) => JSON.parse(readFileSync(join(REPO, p), 'utf8'));

export function mathAgent(over: Partial<AgentSpec> = {}): AgentSpec {
  return {
    id: 'math-docker', runtime: 'docker', manifest: manifest('fixtures/agents/math/manifest.json'), limits: {}, env: {},
    image: 'ari-fixtures/math:1', pool: 0, baseDir: REPO, ...over,
  };
}

export function hostileAgent(over: Partial<AgentSpec> = {}): AgentSpec {
  return {
    id: 'hostile-docker', runtime: 'docker', manifest: manifest('fixtures/agents/docker/hostile/manifest.json'), limits: {}, env: {},
    image: fixtureImage('hostile'), pool: 0, baseDir: REPO, ...over,
  };
}

export const LIMITS: Limits = { ...DEFAULT_LIMITS, timeoutMs: 10_000, memoryBytes: 64 * 1024 ** 2, cpuMillis: 10_000, fuel: 0, pids: 32, outputBytes: 1024 ** 2 };

let n = 0;
export function task(capability: string, input: unknown, limits: Partial<Limits> = {}, agentId = 'hostile-docker'): ExecutionTask {
  return { taskId: `t-${process.pid}-${++n}`, agentId, capability, input, limits: { ...LIMITS, ...limits } };
}

export const hostileTask = (mode: string, extra: Record<string, unknown> = {}, limits: Partial<Limits> = {}) =>
  task('run', { mode, ...extra }, limits);

export const mathTask = (operation: string, operands: number[], limits: Partial<Limits> = {}) =>
  task('arithmetic', { operation, operands }, limits, 'math-docker');

/** Containers (any state) labelled with this daemon id. */
export async function containersOf(daemonId: string): Promise<string[]> {
  return (await engine.listByLabel(`ari.daemon=${daemonId}`)).map((c) => c.id);
}

/** Waits (up to `withinMs`) until the daemon id has no container left; returns what is left then. */
export async function drained(daemonId: string, withinMs = 5000): Promise<string[]> {
  const until = Date.now() + withinMs;
  let left = await containersOf(daemonId);
  while (left.length && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    left = await containersOf(daemonId);
  }
  return left;
}

export async function exists(id: string): Promise<boolean> {
  try {
    await engine.inspect(id);
    return true;
  } catch {
    return false;
  }
}

export const never = () => new AbortController().signal;
