// Checks once, at start, that the host can build native sandboxes; says what to install or fix when it cannot.
import { execa } from 'execa';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { SandboxTools } from '../../sandbox/native/sandbox-command.js';

export const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

const INSTALL_HINT: Record<keyof SandboxTools, string> = {
  bwrap: 'install bubblewrap (scripts/setup-host.sh)',
  setpriv: 'install util-linux (scripts/setup-host.sh)',
  prlimit: 'install util-linux (scripts/setup-host.sh)',
  sh: 'a POSIX /bin/sh is required',
  bash: 'install bash (it closes inherited descriptors before a sandbox starts)',
};

export function findExecutable(name: string, searchPath: readonly string[]): string | null {
  for (const dir of searchPath) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return null;
}

/** Absolute paths of the helper programs, or the reason one is missing. */
export function findTools(searchPath: readonly string[] = SEARCH_PATH): SandboxTools | string {
  const tools: Partial<SandboxTools> = {};
  for (const name of ['bwrap', 'setpriv', 'prlimit', 'sh', 'bash'] as const) {
    const p = findExecutable(name, searchPath);
    if (!p) return `${name} not found: ${INSTALL_HINT[name]}`;
    tools[name] = p;
  }
  return tools as SandboxTools;
}

/** Creates a throw-away user + pid + net namespace as a sandbox uid: null when it works, else why not. */
export async function probeUserNamespaces(tools: SandboxTools, uid: number): Promise<string | null> {
  const r = await execa(tools.setpriv, [
    '--reuid', String(uid), '--regid', String(uid), '--clear-groups',
    tools.bwrap, '--unshare-user', '--unshare-pid', '--unshare-net', '--as-pid-1', '--die-with-parent', '--ro-bind', '/', '/', '--', tools.sh, '-c', 'exit 0',
  ], { reject: false, timeout: 10_000, env: {}, extendEnv: false, stdin: 'ignore', cleanup: false });
  if (r.exitCode === 0) return null;
  const why = String(r.stderr).trim().split('\n').pop() ?? `exit ${r.exitCode}`;
  return `unprivileged user namespaces unavailable (${why}): enable kernel.unprivileged_userns_clone / user.max_user_namespaces`;
}
