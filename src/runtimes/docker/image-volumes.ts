// An image's declared VOLUMEs, checked at load: each becomes a size-capped tmpfs (never an anonymous host volume).
import { posix } from 'node:path';
import type { ContainerClient } from './container-client.js';

/** More tmpfs mounts than this per container is not a data directory layout but an attack on mount setup. */
export const MAX_IMAGE_VOLUMES = 16;
/** Kernel filesystems the container runtime mounts itself: a tmpfs there would hide or break them. */
const RESERVED = ['/proc', '/sys', '/dev'];

/**
 * Normalises Config.Volumes of an image into the mount points to mask (the engine matches a tmpfs against the
 * *cleaned* volume path: "/data/" unmasked would still get an anonymous volume). Throws, naming the volume, for
 * one that cannot be masked safely; /tmp is always a tmpfs already.
 */
export function imageVolumes(declared: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of declared) {
    if (!raw.startsWith('/')) throw new Error(`image declares VOLUME ${JSON.stringify(raw)}, which is not an absolute path`);
    const path = posix.normalize(raw).replace(/(.)\/+$/, '$1');
    if (path === '/') throw new Error(`image declares VOLUME ${JSON.stringify(raw)}: the root cannot be a volume of a read-only container`);
    const reserved = RESERVED.find((r) => path === r || path.startsWith(`${r}/`));
    if (reserved) throw new Error(`image declares VOLUME ${JSON.stringify(raw)} under ${reserved}, which the container runtime mounts itself`);
    if (path !== '/tmp') out.add(path);
  }
  if (out.size > MAX_IMAGE_VOLUMES) throw new Error(`image declares ${out.size} VOLUMEs (at most ${MAX_IMAGE_VOLUMES} are masked with tmpfs)`);
  return [...out].sort();
}

/** An image as checked at load: its id (what containers are created from) and the volumes to mask. */
export interface CheckedImage { id: string; volumes: string[] }

/** Inspects `ref` once: its id and its masked volumes, or an error naming why it is refused. */
export async function checkImage(client: ContainerClient, ref: string): Promise<CheckedImage> {
  const facts = await client.inspectImage(ref);
  if (!facts) throw new Error(`image ${ref} is not in the local engine`);
  try {
    return { id: facts.id, volumes: imageVolumes(facts.volumes) };
  } catch (e) {
    throw new Error(`image ${ref} refused: ${(e as Error).message}`);
  }
}
