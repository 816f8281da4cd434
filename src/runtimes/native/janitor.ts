// Starts the cgroup janitor (see sandbox/native/cgroup-janitor.ts) beside the daemon, detached so it survives the daemon's death.
import { execa } from 'execa';
import { JANITOR_SCRIPT, janitorArgs } from '../../sandbox/native/cgroup-janitor.js';
import type { CgroupTree } from '../../sandbox/native/cgroup-tree.js';
import { BASH_OPTIONS, closeInheritedScript } from '../../sandbox/native/sandbox-command.js';

export interface Janitor {
  /** Closes the janitor's stdin: it sweeps (nothing, after a clean close) and exits. */
  stop(): Promise<void>;
}

/** `bash`: the janitor first closes what the daemon inherited, so a supervisor's pipe is not held open past the daemon. */
export function startJanitor(bash: string, tree: CgroupTree): Janitor {
  const child = execa(bash, [...BASH_OPTIONS, '-c', `${closeInheritedScript([0, 1, 2])}\n${JANITOR_SCRIPT}`, 'ari-janitor', ...janitorArgs(tree.layout.version, tree.freezerDir, tree.treeDirs)], {
    stdin: 'pipe',
    stdout: 'ignore',
    stderr: 'ignore',
    detached: true, // its own session: a signal to the daemon's process group must not take it along
    cleanup: false, // execa would kill it when we exit, which is exactly when it has work to do
    reject: false,
    env: { PATH: '/usr/bin:/bin' },
    extendEnv: false,
  });
  // Neither the janitor nor our end of its pipe may keep the daemon's event loop alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void })?.unref?.();
  return {
    async stop(): Promise<void> {
      child.ref(); // we wait for it now: it may hold the event loop open again
      child.stdin?.end();
      await child;
    },
  };
}
