// containerd's task-exit events for the engine's containers (`ctr events`): a container's exit status the moment
// its shim reaped the agent. dockerd's wait answers only after it has deleted the task (runc delete) and cleaned the
// container up (unmount, containerd delete): 20–250 ms later on a 2-core host, all of it on a task's answer path.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The containerd dockerd starts itself, then a system one (`dockerd --containerd`); both name the namespace moby. */
const SOCKETS = ['/var/run/docker/containerd/containerd.sock', '/run/containerd/containerd.sock'];
const TOOL_DIRS = ['/usr/bin', '/usr/local/bin', '/usr/sbin', '/bin'];
/** After the subscription ended (containerd restarted, ctr killed), wait this long before subscribing again. */
const RESUBSCRIBE_MS = 1000;
/** `<date> <time> +0000 UTC moby /tasks/exit {json}`: ctr prints one event a line. */
const EVENT_LINE = /^\S+ \S+ \S+ \S+ moby \/tasks\/(exit|oom) (\{.*\})\s*$/;
/** An OOM report is kept this long: the answer that asks for it comes within a second of the kill. */
const OOM_MEMORY_MS = 60_000;

interface TaskEvent { container_id?: string; id?: string; exit_status?: number }

function tool(name: string): string | undefined {
  return TOOL_DIRS.map((d) => `${d}/${name}`).find(existsSync);
}

/**
 * One subscription per socket for the whole process, opened on first use. Purely an accelerator: an exit it misses
 * (not subscribed yet, another containerd, no ctr) leaves the engine's wait to answer, with the same status.
 */
export class ContainerdExits {
  private static readonly bySocket = new Map<string, ContainerdExits>();
  private readonly waiting = new Map<string, (status: number) => void>();
  /** Containers the shim reported OOM-killed (its cgroup's OOM event), with when: the exit may arrive first. */
  private readonly ooms = new Map<string, number>();
  private child?: ChildProcess;
  private retryAt = 0;

  private constructor(private readonly socket: string, private readonly ctr: string) {}

  /** The engine's containerd events, when the engine is local and ctr is installed; undefined otherwise. */
  static forLocalEngine(): ContainerdExits | undefined {
    const socket = SOCKETS.find(existsSync);
    const ctr = tool('ctr');
    if (!socket || !ctr) return undefined;
    let e = ContainerdExits.bySocket.get(socket);
    if (!e) ContainerdExits.bySocket.set(socket, (e = new ContainerdExits(socket, ctr)));
    return e;
  }

  /**
   * Resolves with the exit status of the container's init process (128 + n for a signal death, as docker reports
   * it) if containerd reports it; never rejects. Call before the container starts; `forget` once answered.
   */
  next(id: string): Promise<number> {
    this.subscribe();
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  forget(id: string): void {
    this.waiting.delete(id);
  }

  /** Whether containerd reported an OOM kill in the container (events from after the first `next`). */
  oomReported(id: string): boolean {
    return this.ooms.has(id);
  }

  private subscribe(): void {
    if (this.child || Date.now() < this.retryAt) return;
    const args = ['--address', this.socket, 'events', 'topic=="/tasks/exit",namespace==moby', 'topic=="/tasks/oom",namespace==moby'];
    // pdeathsig: a daemon that is SIGKILLed must not leave its subscriber behind.
    const setpriv = tool('setpriv');
    const child = setpriv
      ? spawn(setpriv, ['--pdeathsig', 'KILL', '--', this.ctr, ...args], { stdio: ['ignore', 'pipe', 'ignore'] })
      : spawn(this.ctr, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    let rest = '';
    child.stdout!.on('data', (b: Buffer) => {
      const lines = (rest + b.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) this.onLine(line);
    });
    const ended = () => {
      if (this.child !== child) return;
      this.child = undefined;
      this.retryAt = Date.now() + RESUBSCRIBE_MS;
    };
    child.on('error', ended);
    child.on('exit', ended);
    child.unref(); // never what keeps the daemon alive
    (child.stdout as unknown as { unref(): void }).unref();
  }

  private onLine(line: string): void {
    const m = EVENT_LINE.exec(line);
    if (!m) return;
    let e: TaskEvent;
    try {
      e = JSON.parse(m[2]) as TaskEvent;
    } catch {
      return;
    }
    if (m[1] === 'oom') return this.onOom(e);
    // Only the init process's exit ends the container (an exec'd process has its own id).
    if (!e.container_id || e.id !== e.container_id) return;
    const resolve = this.waiting.get(e.container_id);
    if (!resolve) return;
    this.waiting.delete(e.container_id);
    resolve(e.exit_status ?? 0); // protobuf JSON omits a zero status
  }

  private onOom(e: TaskEvent): void {
    if (!e.container_id) return;
    const now = Date.now();
    for (const [id, at] of this.ooms) if (now - at > OOM_MEMORY_MS) this.ooms.delete(id);
    this.ooms.set(e.container_id, now);
  }
}
