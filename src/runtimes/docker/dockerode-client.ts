// ContainerClient over dockerode: the only file that knows dockerode or the Engine API's wire shapes.
import Docker from 'dockerode';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import type { ContainerClient, ContainerCreateSpec, ContainerIo, ContainerState, ContainerSummary, EngineInfo, ImageFacts, NetworkCreateSpec, NetworkFacts } from './container-client.js';
import { StreamDemuxer } from './stream-demux.js';
import { ContainerdExits } from './containerd-exits.js';

export const DEFAULT_SOCKET = '/var/run/docker.sock';

function statusOf(e: unknown): number | undefined {
  return (e as { statusCode?: number }).statusCode;
}

export class DockerodeClient implements ContainerClient {
  readonly endpoint: string;
  private readonly docker: Docker;
  /** A local engine's containerd exit events: the exit status before dockerd's cleanup lets its wait answer. */
  private readonly exits?: ContainerdExits;

  /**
   * `address`: a socket path, unix:///path.sock, tcp://host:port or http(s)://host:port (as DOCKER_HOST).
   * `exitEvents`: false takes exit statuses from the engine's wait only (benchmarks compare the two).
   */
  constructor(address = DEFAULT_SOCKET, opts: { exitEvents?: boolean } = {}) {
    const m = /^(tcp|http|https):\/\/\[?([^\]/]+?)\]?(?::(\d+))?\/?$/.exec(address);
    // Pinned: the engine here is 20.10 (API 1.41); newer engines still serve 1.41.
    if (m) {
      const protocol = m[1] === 'https' ? 'https' : 'http';
      const port = Number(m[3] ?? (protocol === 'https' ? 2376 : 2375));
      this.endpoint = `${m[1]}://${m[2]}:${port}`;
      this.docker = new Docker({ host: m[2], port, protocol, version: 'v1.41' });
    } else {
      const socketPath = address.replace(/^unix:\/\//, '');
      this.endpoint = `unix://${socketPath}`;
      this.docker = new Docker({ socketPath, version: 'v1.41' });
      if (opts.exitEvents !== false) this.exits = ContainerdExits.forLocalEngine();
    }
  }

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  async info(): Promise<EngineInfo> {
    const [i, v] = await Promise.all([this.docker.info(), this.docker.version()]);
    return { version: v.Version, apiVersion: v.ApiVersion, cgroupDriver: i.CgroupDriver ?? '', cgroupVersion: String(i.CgroupVersion ?? '1') };
  }

  async create(spec: ContainerCreateSpec): Promise<string> {
    const c = await this.docker.createContainer({
      Image: spec.image,
      ...(spec.entrypoint ? { Entrypoint: spec.entrypoint, Cmd: [] } : {}),
      Env: spec.env,
      User: spec.user,
      Labels: spec.labels,
      WorkingDir: '/tmp',
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: true,
      StdinOnce: true,
      Tty: false,
      // Only a container of an egress task is attached to a network (its internal egress network).
      NetworkDisabled: spec.hostConfig.NetworkMode === 'none',
      // An image's HEALTHCHECK would exec processes into idle pooled containers: never.
      Healthcheck: { Test: ['NONE'] },
      HostConfig: spec.hostConfig as Docker.HostConfig,
    });
    return c.id;
  }

  async attach(id: string): Promise<ContainerIo> {
    const sock = (await this.docker.getContainer(id).attach({
      stream: true, stdin: true, stdout: true, stderr: true, hijack: true,
    })) as unknown as Socket;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const demux = new StreamDemuxer((s, b) => (s === 'stdout' ? stdout : stderr).write(b));
    sock.on('data', (b: Buffer) => demux.push(b));
    const finish = () => { stdout.end(); stderr.end(); };
    sock.once('end', finish);
    sock.once('close', finish);
    sock.on('error', finish);
    return { stdin: sock, stdout, stderr, destroy: () => { sock.destroy(); finish(); } };
  }

  async start(id: string): Promise<void> {
    await this.docker.getContainer(id).start();
  }

  watchExit(id: string): Promise<{ exited: Promise<number> }> {
    // dockerode's wait() resolves only with the body; the engine flushes the headers once the wait is
    // registered, which is the moment it becomes safe to start the container.
    return new Promise((armed, fail) => {
      this.docker.modem.dial({
        path: `/containers/${encodeURIComponent(id)}/wait?`,
        method: 'POST',
        options: { condition: 'next-exit' },
        isStream: true,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
      }, ((err: Error | null, res: IncomingMessage) => {
        if (err) return fail(err);
        const waited = new Promise<number>((resolve, reject) => {
          let body = '';
          res.on('data', (b: Buffer) => { body += b.toString(); });
          res.on('end', () => {
            try {
              resolve((JSON.parse(body) as { StatusCode: number }).StatusCode);
            } catch {
              reject(new Error(`container ${id}: wait ended without a status (${body.trim() || 'empty'})`));
            }
          });
          res.on('error', reject);
        });
        // The same status from whichever reports it first: containerd when it is reachable, else the wait.
        const exited = this.exits ? Promise.race([waited, this.exits.next(id)]) : waited;
        if (this.exits) void exited.finally(() => this.exits!.forget(id)).catch(() => {});
        armed({ exited });
      }) as Parameters<Docker['modem']['dial']>[1]);
    });
  }

  async inspect(id: string): Promise<ContainerState> {
    const c = await this.docker.getContainer(id).inspect();
    const s = c.State;
    const mounts = (c.Mounts ?? []).map((m) => ({ type: String(m.Type ?? ''), destination: m.Destination }));
    const addresses = Object.fromEntries(Object.entries(c.NetworkSettings?.Networks ?? {}).map(([n, e]) => [n, e.IPAddress ?? '']));
    return { running: s.Running, exitCode: s.ExitCode, oomKilled: s.OOMKilled, error: s.Error ?? '', mounts, addresses };
  }

  oomReported(id: string): boolean {
    return this.exits?.oomReported(id) ?? false;
  }

  async kill(id: string): Promise<void> {
    try {
      // SIGKILL: the engine answers once the container is no longer running.
      await this.docker.getContainer(id).kill({ signal: 'SIGKILL' });
    } catch (e) {
      // 404: gone; 409: not running (it already exited).
      if (statusOf(e) !== 404 && statusOf(e) !== 409) throw e;
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (e) {
      // 404: already gone; 409: removal already in progress (another path is removing it).
      if (statusOf(e) !== 404 && statusOf(e) !== 409) throw e;
    }
  }

  async listByLabel(label: string): Promise<ContainerSummary[]> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [label] } });
    return list.map((c) => ({ id: c.Id, labels: c.Labels ?? {} }));
  }

  async createNetwork(spec: NetworkCreateSpec): Promise<NetworkFacts> {
    const n = await this.docker.createNetwork({
      Name: spec.name, Driver: 'bridge', Internal: true, EnableIPv6: false, CheckDuplicate: true, Labels: spec.labels, Options: spec.options,
    });
    return networkFacts(await n.inspect());
  }

  async removeNetwork(id: string): Promise<void> {
    try {
      await this.docker.getNetwork(id).remove();
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
    }
  }

  async networksByLabel(label: string): Promise<NetworkFacts[]> {
    const list = await this.docker.listNetworks({ filters: { label: [label] } });
    return list.map(networkFacts);
  }

  async imageExists(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (e) {
      if (statusOf(e) === 404) return false;
      throw e;
    }
  }

  async inspectImage(ref: string): Promise<ImageFacts | undefined> {
    try {
      const i = await this.docker.getImage(ref).inspect();
      return { id: i.Id, volumes: Object.keys(i.Config?.Volumes ?? {}) };
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  async buildImage(context: Readable, ref: string, onProgress: (line: string) => void): Promise<void> {
    const stream = await this.docker.buildImage(context, { t: ref, rm: true, forcerm: true });
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null, events: { error?: string }[]) => {
          const failed = err?.message ?? events.find((e) => e.error)?.error;
          if (failed) reject(new Error(`building ${ref}: ${failed}`));
          else resolve();
        },
        (e: { stream?: string; status?: string; error?: string }) => {
          const line = (e.stream ?? e.status ?? e.error ?? '').trim();
          if (line) onProgress(line);
        },
      );
    });
  }
}

function networkFacts(n: Docker.NetworkInspectInfo): NetworkFacts {
  return { id: n.Id, name: n.Name, gateway: n.IPAM?.Config?.[0]?.Gateway ?? '', labels: n.Labels ?? {} };
}
