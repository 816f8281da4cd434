// The few Docker Engine operations the runtime needs, behind an interface of ours (dockerode stays in one file).
import type { Readable, Writable } from 'node:stream';
import type { HardenedHostConfig } from '../../sandbox/docker/host-config.js';

export interface ContainerCreateSpec {
  image: string;
  /** Replaces the image's entrypoint when set. */
  entrypoint?: string[];
  env: string[];
  user: string;
  labels: Record<string, string>;
  hostConfig: HardenedHostConfig;
}

/** A hijacked attach: stdin to write the task to, stdout/stderr already demultiplexed. */
export interface ContainerIo {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Tears the connection down (after a kill, so no half-open socket lingers). */
  destroy(): void;
}

export interface ContainerState {
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  error: string;
  /** Host-backed mounts (volumes, binds); tmpfs mounts are not listed. */
  mounts: { type: string; destination: string }[];
  /** The container's IPv4 address on each network it is attached to (by network name). */
  addresses: Record<string, string>;
}

/** A user network of ours (the egress network): its bridge interface on the host and its gateway address. */
export interface NetworkFacts {
  id: string;
  name: string;
  gateway: string;
  labels: Record<string, string>;
}

export interface NetworkCreateSpec {
  name: string;
  labels: Record<string, string>;
  /** Driver options (com.docker.network.bridge.*). */
  options: Record<string, string>;
}

/** What prepare() needs of an image: its immutable id (what tasks run) and its declared VOLUMEs. */
export interface ImageFacts {
  id: string;
  volumes: string[];
}

export interface ContainerSummary {
  id: string;
  labels: Record<string, string>;
}

export interface EngineInfo {
  version: string;
  apiVersion: string;
  cgroupDriver: string;
  cgroupVersion: string;
}

export interface ContainerClient {
  /** Where the engine is, for messages ("unix:///var/run/docker.sock"). */
  readonly endpoint: string;
  ping(): Promise<void>;
  info(): Promise<EngineInfo>;
  create(spec: ContainerCreateSpec): Promise<string>;
  attach(id: string): Promise<ContainerIo>;
  start(id: string): Promise<void>;
  /**
   * Registers for the container's next exit and resolves once the engine has armed the watch (so it must be
   * called before start: an exit can then never be missed); `exited` resolves with the exit status.
   */
  watchExit(id: string): Promise<{ exited: Promise<number> }>;
  inspect(id: string): Promise<ContainerState>;
  /** Whether the container runtime already reported an OOM kill in the container (false when it cannot tell). */
  oomReported(id: string): boolean;
  /** SIGKILL; resolves once the engine reports the container stopped. One already stopped or gone is not an error. */
  kill(id: string): Promise<void>;
  /** SIGKILL and remove in one call; a container already gone is not an error. */
  remove(id: string): Promise<void>;
  /** Containers (any state) carrying this label (`key` or `key=value`). */
  listByLabel(label: string): Promise<ContainerSummary[]>;
  /** An `--internal` bridge network (no route out of the host), IPv4 only. */
  createNetwork(spec: NetworkCreateSpec): Promise<NetworkFacts>;
  /** A network already gone is not an error. */
  removeNetwork(id: string): Promise<void>;
  networksByLabel(label: string): Promise<NetworkFacts[]>;
  imageExists(ref: string): Promise<boolean>;
  /** The image's id and declared volumes, or undefined when the engine has no such image. */
  inspectImage(ref: string): Promise<ImageFacts | undefined>;
  /** Builds `ref` from a tar'd build context, reporting each progress line. */
  buildImage(context: Readable, ref: string, onProgress: (line: string) => void): Promise<void>;
}
