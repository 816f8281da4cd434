// Whether a sandbox uid can reach a host path: bwrap opens binds as that uid, and the agent is exec'd as it.
import { realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

const S_IXOTH = 0o001;

const mode = (m: number): string => (m & 0o7777).toString(8).padStart(4, '0');

/** Every directory above `path`, outermost first. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let d = dirname(path); ; d = dirname(d)) {
    out.unshift(d);
    if (d === dirname(d)) return out;
  }
}

/**
 * Why a sandbox uid cannot reach `path` (or null when it can). A sandbox uid owns nothing and is in no group,
 * so only the "other" bits count (named-user ACLs for sandbox uids are not considered). `exec`: the path is the
 * agent binary and must be executable too. Checked along the path as given and along its resolved form.
 */
export function unreachableBySandbox(path: string, exec: boolean): string | null {
  const real = realpathSync(path);
  for (const dir of new Set([...ancestors(path), ...ancestors(real)])) {
    const m = statSync(dir).mode;
    if (!(m & S_IXOTH)) return `${dir} (mode ${mode(m)}) cannot be searched by the sandbox uid, so ${path} is out of its reach: make it o+x or move the agent`;
  }
  if (exec) {
    const m = statSync(real).mode;
    if (!(m & S_IXOTH)) return `${path} (mode ${mode(m)}) is not executable by the sandbox uid: chmod o+x`;
  }
  return null;
}
