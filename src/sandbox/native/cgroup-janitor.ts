// The script of the janitor process that outlives a killed daemon just long enough to kill its sandboxes and remove its cgroups.

/**
 * Why a janitor: pdeathsig alone leaves a window. bwrap arms --die-with-parent in the sandbox's pid 1 only
 * just before exec, and setpriv arms it after the fork; a daemon killed inside either window leaves a process
 * whose parent is already gone, so no signal ever comes. Every sandbox process is in its task cgroup from its
 * first instruction, though, so killing the cgroups catches all of them.
 *
 * The janitor is a root shell started with the daemon holding the only write end of its stdin: `read` returns
 * when the daemon closes it or dies, for any reason. It then freezes, kills and thaws every task cgroup of the
 * daemon's subtree until several passes in a row find nothing (a process still between fork and joining its
 * cgroup gets a moment to arrive), and removes the directories. On a normal close the daemon has already removed
 * them and the janitor finds nothing to do.
 */
export const JANITOR_SCRIPT = `
read -r _ || true
mode=$1; freezer=$2; shift 2
quiet=0
while [ $quiet -lt 5 ]; do
  found=0
  if [ "$mode" = v1 ] && [ -n "$freezer" ]; then
    for f in "$freezer"/*/freezer.state; do [ -e "$f" ] && echo FROZEN > "$f"; done 2>/dev/null
  fi
  for d in "$@"; do
    for t in "$d"/*/; do
      [ -e "$t/cgroup.procs" ] || continue
      [ "$mode" = v2 ] && echo 1 > "$t/cgroup.kill" 2>/dev/null
      while read -r pid; do found=1; kill -9 "$pid" 2>/dev/null; done < "$t/cgroup.procs"
    done
  done
  if [ "$mode" = v1 ] && [ -n "$freezer" ]; then
    for f in "$freezer"/*/freezer.state; do [ -e "$f" ] && echo THAWED > "$f"; done 2>/dev/null
  fi
  if [ $found = 0 ]; then quiet=$((quiet+1)); else quiet=0; fi
  sleep 0.05
done
for d in "$@"; do
  for t in "$d"/*/; do [ -d "$t" ] && rmdir "$t"; done 2>/dev/null
  rmdir "$d" 2>/dev/null
done
exit 0
`;

/** Arguments after `sh -c JANITOR_SCRIPT janitor`: version, the freezer subtree ('' if none), every subtree dir. */
export function janitorArgs(version: 'v1' | 'v2', freezerDir: string | undefined, treeDirs: string[]): string[] {
  return [version, freezerDir ?? '', ...treeDirs];
}
