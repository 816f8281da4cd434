// One container's life: fence → create → attach → start (blocked on stdin) → one task → kill → remove. Never reused.
import type { ContainerClient, ContainerCreateSpec, ContainerIo } from './container-client.js';
import type { TaskCgroup } from '../../sandbox/docker/task-cgroup.js';
import type { KillReason } from '../../contract/classify.js';
import { killReasonOf } from '../../contract/abort-reason.js';

export type Sink = (chunk: Buffer) => void;

/** Output a container writes before a task is bound (a pooled agent printing early) is held up to this. */
const EARLY_OUTPUT_CAP = 64 * 1024;
/** How long an unexplained SIGKILL at the memory limit waits for the OOM to be reported (a loaded engine lags). */
const OOM_EVIDENCE_MS = 1500;
const OOM_POLL_MS = 25;
/** How long the processes a kernel kill signalled may take to be gone before the engine is asked instead. */
const KERNEL_KILL_WAIT_MS = 250;
const REMOVE_ATTEMPTS = 5;
const REMOVE_RETRY_MS = 200;

export class ContainerSession {
  /** Resolves with the exit status when the container stops (or -1 if the engine lost it). */
  readonly exited: Promise<number>;
  /** Resolves when both output streams have ended (everything the agent wrote has arrived). */
  readonly drained: Promise<void>;
  private done = false;
  private killing?: Promise<void>;
  private disposing?: Promise<void>;
  private sinks?: { out: Sink; err: Sink };
  private early: { stream: 'out' | 'err'; chunk: Buffer }[] = [];
  private earlyBytes = 0;
  /** CPU the container spent before its task was bound (a pooled agent's start-up): not the task's. */
  private cpuAtBind = 0;

  private constructor(
    readonly id: string,
    private readonly client: ContainerClient,
    private readonly io: ContainerIo,
    readonly cgroup: TaskCgroup | undefined,
    exited: Promise<number>,
  ) {
    this.exited = exited.catch(() => -1).then((code) => { this.done = true; return code; });
    const ended = (s: NodeJS.ReadableStream) => new Promise<void>((r) => { s.once('end', r); s.once('close', r); });
    this.drained = Promise.all([ended(io.stdout), ended(io.stderr)]).then(() => { this.done = true; });
    io.stdout.on('data', (b: Buffer) => this.route('out', b));
    io.stderr.on('data', (b: Buffer) => this.route('err', b));
    io.stdin.on('error', () => { /* the agent may exit before reading its task: the outcome says so */ });
  }

  /**
   * Creates, checks, attaches (before start, so no byte is missed) and starts a container. The cgroup's fence
   * must already exist. On any failure the container and the cgroup are removed before the error propagates.
   */
  static async open(client: ContainerClient, spec: ContainerCreateSpec, cgroup?: TaskCgroup): Promise<ContainerSession> {
    let id: string | undefined;
    let io: ContainerIo | undefined;
    try {
      const created = (id = await client.create(spec));
      // The three round trips that must precede start, at once (one engine round trip instead of three).
      const [state, attached, watched] = await Promise.allSettled([client.inspect(created), client.attach(created), client.watchExit(created)]);
      if (attached.status === 'fulfilled') io = attached.value;
      const { mounts } = settled(state);
      const { exited } = settled(watched);
      // Tmpfs masks every declared VOLUME; anything host-backed that still appears (an engine that creates the
      // anonymous volume anyway) is refused before the agent runs.
      if (mounts.length) throw new Error(`the engine gave the container host-backed mounts (${mounts.map((m) => `${m.type} at ${m.destination}`).join(', ')}): refused`);
      const session = new ContainerSession(created, client, settled(attached), cgroup, exited);
      await client.start(id);
      return session;
    } catch (e) {
      io?.destroy();
      if (id) await client.remove(id).catch(() => {});
      cgroup?.remove();
      throw e;
    }
  }

  /** The agent (or the engine) already ended: a pooled container in this state cannot serve a task. */
  get dead(): boolean {
    return this.done || this.killing !== undefined;
  }

  /** CPU spent so far: before bind, the idle container's; after, the task's. */
  cpuMs(): number {
    return (this.cgroup?.cpuMs() ?? 0) - this.cpuAtBind;
  }

  /**
   * Whether the kernel OOM-killed anything in the container, the agent or a child of it: the fenced parent's
   * record where the kernel keeps one (v2); else, only when the limit was reached at all, containerd's OOM event,
   * the container's own cgroup's count (v1), or once runc deleted that, the engine's OOMKilled. containerd's exit
   * event can arrive before its OOM event and before dockerd has seen either, so an agent SIGKILLed by nobody of
   * ours (`unexplainedKill`) at the limit waits up to OOM_EVIDENCE_MS for the evidence before "no".
   */
  async oomKilled(memoryLimit: number, unexplainedKill: boolean): Promise<boolean> {
    if (this.cgroup && this.cgroup.oomKills() > 0) return true;
    if (this.cgroup && !this.cgroup.limitReached(memoryLimit)) return false;
    const deadline = performance.now() + (unexplainedKill ? OOM_EVIDENCE_MS : 0);
    for (;;) {
      const evidence = await this.oomEvidence();
      if (evidence !== undefined || performance.now() >= deadline) return evidence ?? false;
      await new Promise((r) => setTimeout(r, OOM_POLL_MS));
    }
  }

  /** true/false when a source knows, undefined when none can tell yet. */
  private async oomEvidence(): Promise<boolean | undefined> {
    if (this.client.oomReported(this.id)) return true;
    // v1: the kernel's own count, in the container's cgroup, which outlives the exit until runc deletes the task.
    const own = this.cgroup?.containerOomKills(this.id);
    if (own !== undefined && own > 0) return true;
    if ((await this.client.inspect(this.id).catch(() => undefined))?.oomKilled === true) return true;
    return own === 0 ? false : undefined;
  }

  /**
   * After the exit: resolves once `complete()` holds (checked now and after each further output chunk), both
   * streams ended, or `graceMs` passed. The exit status can be known before the last output has arrived.
   */
  outputSettled(complete: () => boolean, graceMs: number): Promise<void> {
    if (complete()) return Promise.resolve();
    let check = () => {};
    let timer: NodeJS.Timeout | undefined;
    return new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs).unref();
      // Registered after route(): the chunk is already in the task's buffer when this runs.
      check = () => { if (complete()) resolve(); };
      this.io.stdout.on('data', check);
      void this.drained.then(() => resolve());
    }).finally(() => {
      clearTimeout(timer);
      this.io.stdout.off('data', check);
    });
  }

  /** Routes output to the task (replaying what arrived early) and gives the container its whole CPU back. */
  bind(out: Sink, err: Sink): void {
    this.cpuAtBind = this.cgroup?.cpuMs() ?? 0;
    this.cgroup?.setCpuFraction(1);
    this.sinks = { out, err };
    for (const e of this.early) (e.stream === 'out' ? out : err)(e.chunk);
    this.early = [];
  }

  /** Writes the task document and closes stdin (StdinOnce: the agent sees EOF). */
  sendTask(doc: string): void {
    this.io.stdin.end(`${doc}\n`);
  }

  /**
   * SIGKILLs the container and resolves once its processes are gone, without removing it (removal is off the answer's
   * path: dispose()). Falls back to a forced removal when the engine refuses the kill. Idempotent.
   */
  kill(): Promise<void> {
    return (this.killing ??= (async () => {
      // Through the kernel first (microseconds; the engine learns of the exit by itself and dispose() removes
      // the container); through the engine when there is no cgroup of ours or something outlived the kill.
      const gone = (await this.cgroup?.killAll(KERNEL_KILL_WAIT_MS)) === true;
      if (!gone) await this.client.kill(this.id).catch(() => this.client.remove(this.id).catch(() => {}));
      this.io.destroy();
    })());
  }

  /** Removes the container (SIGKILL first if it still runs), then its cgroup parent. Idempotent; never throws. */
  dispose(): Promise<void> {
    return (this.disposing ??= (async () => {
      await this.removeWithRetries();
      this.io.destroy();
      // runc deletes the container's own cgroup asynchronously after the kill; retry the parent briefly.
      for (let i = 0; i < 50 && this.cgroup && !this.cgroup.remove(); i++) await new Promise((r) => setTimeout(r, 10));
    })());
  }

  /**
   * A container killed through the kernel may still be being stopped by the engine: a removal it refuses then is
   * retried, so that the container is not left behind until the next start's sweep.
   */
  private async removeWithRetries(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.remove(this.id);
      } catch {
        if (attempt >= REMOVE_ATTEMPTS) return; // the next start's sweep removes it (labelled with our daemon id)
        await new Promise((r) => setTimeout(r, REMOVE_RETRY_MS * attempt));
      }
    }
  }

  private route(stream: 'out' | 'err', chunk: Buffer): void {
    if (this.sinks) return (stream === 'out' ? this.sinks.out : this.sinks.err)(chunk);
    if (this.earlyBytes >= EARLY_OUTPUT_CAP) return;
    this.earlyBytes += chunk.length;
    this.early.push({ stream, chunk });
  }
}

function settled<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

/** A cold container, or why the task ended while it was starting (the caller's cancel, or the deadline). */
export function startedOrEnded(opening: Promise<ContainerSession>, signal: AbortSignal, deadline: number): Promise<ContainerSession | KillReason> {
  if (signal.aborted) return Promise.resolve(killReasonOf(signal));
  let timer: NodeJS.Timeout | undefined;
  let onAbort = () => {};
  const ended = new Promise<KillReason>((resolve) => {
    timer = setTimeout(() => resolve('TIMEOUT'), Math.max(0, deadline - performance.now()));
    onAbort = () => resolve(killReasonOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([opening, ended]).finally(() => {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  });
}
