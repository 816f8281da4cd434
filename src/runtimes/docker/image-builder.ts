// Builds an agent image from a local build context when it is missing (no registry), with progress lines.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import type { ContainerClient } from './container-client.js';
import { DockerodeClient } from './dockerode-client.js';

/** fixtures/agents/docker/<name>/ holds the build context of image `ari-fixtures/<name>:<tag>`. */
export const FIXTURE_IMAGES_DIR = resolve(fileURLToPath(new URL('../../../fixtures/agents/docker', import.meta.url)));
const FIXTURE_REF = /^ari-fixtures\/([a-z0-9][a-z0-9_-]*):[\w.-]+$/;

/**
 * Where to build `image` from: the agent's `build` directory if configured, else the fixture convention
 * `ari-fixtures/<name>:<tag>` → fixtures/agents/docker/<name>/ (when it has a Dockerfile), else none.
 */
export function buildContextFor(image: string, build?: string): string | undefined {
  if (build) return build;
  const m = FIXTURE_REF.exec(image);
  if (!m) return undefined;
  const dir = join(FIXTURE_IMAGES_DIR, m[1]);
  return existsSync(join(dir, 'Dockerfile')) ? dir : undefined;
}

/** The context as a tar stream; symlinks are followed (contexts link to host binaries like /bin/busybox). */
function tarContext(dir: string): { stream: NodeJS.ReadableStream; done: Promise<void> } {
  const tar = spawn('tar', ['-c', '-h', '-C', dir, '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  tar.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  const done = new Promise<void>((res, rej) => {
    tar.on('error', rej);
    tar.on('close', (code) => (code === 0 ? res() : rej(new Error(`tar of build context ${dir} failed: ${err.trim() || `exit ${code}`}`))));
  });
  return { stream: tar.stdout, done };
}

const inflight = new Map<string, Promise<boolean>>();

/**
 * Makes sure `ref` exists, building it from `contextDir` (a directory with a Dockerfile) when missing.
 * Resolves true when it built the image. Concurrent calls for one ref share one build.
 */
export function ensureImage(
  ref: string,
  contextDir: string,
  onProgress: (line: string) => void = () => {},
  client: ContainerClient = new DockerodeClient(),
  force = false,
): Promise<boolean> {
  const running = inflight.get(ref);
  if (running) return running;
  const p = (async () => {
    if (!force && (await client.imageExists(ref))) return false;
    if (!existsSync(join(contextDir, 'Dockerfile'))) throw new Error(`cannot build image ${ref}: no Dockerfile in ${contextDir}`);
    onProgress(`building image ${ref} from ${contextDir}`);
    const tar = tarContext(contextDir);
    await Promise.all([client.buildImage(tar.stream as unknown as import('node:stream').Readable, ref, onProgress), tar.done]);
    onProgress(`built image ${ref}`);
    return true;
  })().finally(() => inflight.delete(ref));
  inflight.set(ref, p);
  return p;
}
