// Starts sandbox chains through the spawn helper (spawner-script.ts): a fork of the ~300 MB daemon blocked its event loop ~38 ms per sandbox.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { SPAWNER_SCRIPT } from './spawner-script.js';

/** How a sandbox chain ended, as its parent (the helper) saw it. */
export interface ChildExit {
  exitCode?: number;
  signal?: string;
}

/** The child fd the helper writes `fd3` to and closes (bwrap reads its seccomp program there), and bwrap's status fd; spawner-script.ts uses the same numbers. */
export const CHILD_FD_SECCOMP = 3;
export const CHILD_FD_STATUS = 4;

/** The child fds ari reads: stdout, stderr and bwrap's status. */
export type OutputFd = 1 | 2 | typeof CHILD_FD_STATUS;

type FdMessage = { op: 'fd'; id: number; fd: 0 | OutputFd; pid: number };
type RelayedMessage = { op: 'relayed'; id: number; msg: unknown };
type ExitMessage = { op: 'exit'; id: number; code: number | null; signal: string | null; error?: string; stderr?: string };
type HelperMessage = FdMessage | RelayedMessage | ExitMessage;

/** What the helper reports a child's messages to. */
interface HelperChild {
  receive(m: HelperMessage, handle?: unknown): void;
  /** The helper died: its children died with it (pdeathsig). */
  lost(): void;
}

const exitOf = (m: ExitMessage): ChildExit => (m.error ? {} : { exitCode: m.code ?? undefined, signal: m.signal ?? undefined });

/** One sandbox chain started by the helper. Its sockets arrive a moment after spawn(); the kernel keeps the bytes meanwhile. */
export class SpawnedChild implements HelperChild {
  pid?: number;
  /** Settles once the chain exited and its output sockets are drained (closed). */
  readonly ended: Promise<ChildExit>;
  private readonly readers = new Map<OutputFd, (c: Buffer) => void>();
  private readonly drained: Promise<void>[] = [];
  private stdin?: Socket;
  private stdinDoc?: string;
  private exited: (e: ChildExit) => void = () => {};

  constructor(private readonly id: number, private readonly spawner: Spawner) {
    const exit = new Promise<ChildExit>((r) => { this.exited = r; });
    // Every output socket arrives before the exit message (the helper sends in that order).
    this.ended = exit.then(async (e) => { await Promise.all(this.drained); return e; });
  }

  /** Where the bytes of child fd `fd` go (one reader per fd, set before they can arrive). */
  onData(fd: OutputFd, read: (c: Buffer) => void): void {
    this.readers.set(fd, read);
  }

  /** Writes the task document and closes the agent's stdin. */
  endStdin(doc: string): void {
    this.stdinDoc = doc;
    this.stdin?.end(doc);
  }

  kill(): void {
    this.spawner.send({ op: 'kill', id: this.id });
  }

  /** @internal the helper's messages for this child. */
  receive(m: HelperMessage, h?: unknown): void {
    if (m.op === 'exit') return this.exited(exitOf(m));
    if (m.op !== 'fd') return;
    const handle = h as Socket | undefined;
    this.pid = m.pid;
    if (!handle) return;
    handle.on('error', () => {}); // an agent that exits without reading its input (EPIPE) is not our error
    if (m.fd === 0) {
      this.stdin = handle;
      handle.pause(); // the agent's stdin is a socket it could write into; nobody reads that
      if (this.stdinDoc !== undefined) handle.end(this.stdinDoc);
      return;
    }
    const read = this.readers.get(m.fd);
    if (read) handle.on('data', read);
    else handle.resume();
    this.drained.push(new Promise((r) => handle.once('close', r)));
  }

  /** @internal */
  lost(): void {
    this.exited({ signal: 'SIGKILL' });
  }
}

/** A child with an IPC channel of its own, started by the helper; its messages (and their handles) are passed on. */
export class RelayedChild implements HelperChild {
  /** Settles when it exited; `stderr` holds its first 2 KiB there. */
  readonly ended: Promise<ChildExit & { error?: string; stderr?: string }>;
  private exited: (e: ChildExit & { error?: string; stderr?: string }) => void = () => {};

  constructor(private readonly id: number, private readonly spawner: Spawner, private readonly onMessage: (msg: unknown, handle?: unknown) => void) {
    this.ended = new Promise((r) => { this.exited = r; });
  }

  kill(): void {
    this.spawner.send({ op: 'kill', id: this.id });
  }

  /** @internal */
  receive(m: HelperMessage, handle?: unknown): void {
    if (m.op === 'relayed') this.onMessage(m.msg, handle);
    else if (m.op === 'exit') this.exited({ ...exitOf(m), error: m.error, stderr: m.stderr });
  }

  /** @internal */
  lost(): void {
    this.exited({ signal: 'SIGKILL', error: 'the spawn helper died' });
  }
}

/** The spawn helper, started on first use and again if it dies; close() ends it (and with it anything it started). */
export class Spawner {
  private helper: ChildProcess | null = null;
  private closing = false;
  private nextId = 1;
  private readonly children = new Map<number, HelperChild>();

  constructor(private readonly setpriv: string, private readonly logger: Logger) {}

  /** Starts `file args` with fds 0–4 as sockets; `fd3` is written to fd 3 and closed (bwrap's seccomp program). */
  spawn(file: string, args: string[], fd3: Uint8Array): SpawnedChild {
    const id = this.nextId++;
    const child = new SpawnedChild(id, this);
    this.track(id, child, child.ended);
    this.send({ op: 'spawn', id, file, args, fd3 });
    return child;
  }

  /** Starts `file args` with an IPC channel; `onMessage` gets what it sends, with any handle (a listening socket). */
  relay(file: string, args: string[], onMessage: (msg: unknown, handle?: unknown) => void): RelayedChild {
    const id = this.nextId++;
    const child = new RelayedChild(id, this, onMessage);
    this.track(id, child, child.ended);
    this.send({ op: 'relay', id, file, args });
    return child;
  }

  /** The helper's channel keeps this process alive only while some child of it runs. */
  private track(id: number, child: HelperChild, ended: Promise<unknown>): void {
    this.children.set(id, child);
    if (this.children.size === 1) this.helperProcess().channel?.ref();
    void ended.then(() => {
      this.children.delete(id);
      if (this.children.size === 0) this.helper?.channel?.unref();
    });
  }

  /** @internal */
  send(m: object): void {
    const helper = this.helperProcess();
    if (helper.connected) helper.send(m);
  }

  private helperProcess(): ChildProcess {
    if (this.helper) return this.helper;
    // pdeathsig: a SIGKILLed daemon takes the helper with it, and its death takes the sandboxes (theirs).
    const helper = spawn(this.setpriv, ['--pdeathsig', 'KILL', '--', process.execPath, '-e', SPAWNER_SCRIPT], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: {}, serialization: 'advanced',
    });
    this.helper = helper;
    helper.unref();
    // Unref'd only while idle: a helper restarted under running children must keep this process alive for their exits.
    if (this.children.size === 0) helper.channel?.unref();
    (helper.stderr as Socket | null)?.unref();
    helper.stderr?.on('data', (c: Buffer) => this.logger.warn({ stderr: c.toString().slice(0, 2048) }, 'native spawn helper wrote to stderr'));
    helper.on('message', (m: HelperMessage, handle?: unknown) => this.children.get(m.id)?.receive(m, handle));
    helper.on('error', (e) => this.logger.error({ err: e }, 'native spawn helper failed'));
    helper.on('exit', (code, signal) => {
      if (this.helper === helper) this.helper = null;
      if (!this.closing) this.logger.error({ code, signal, children: this.children.size }, 'native spawn helper exited; its sandboxes died with it');
      for (const c of this.children.values()) c.lost();
    });
    return helper;
  }

  /** Starts the helper ahead of the first sandbox (Node's start-up is tens of milliseconds). */
  warm(): void {
    this.helperProcess();
  }

  /** Ends the helper; call once every sandbox it started has ended. */
  close(): void {
    this.closing = true;
    this.helper?.disconnect();
  }
}
