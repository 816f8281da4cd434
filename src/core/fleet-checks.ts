// Start-up and health checks across fleet members: native uid ranges must not overlap, agents should agree.
import type { HostedAgent, Member, MemberInfo } from './fleet-store.js';

function overlaps(a: [number, number], b: [number, number]): boolean {
  return a[1] > 0 && b[1] > 0 && a[0] < b[0] + b[1] && b[0] < a[0] + a[1];
}

/** Why this daemon must not join (an overlapping uid range, its id used on another host), or undefined. */
export function joinConflict(me: MemberInfo, live: Member[]): string | undefined {
  for (const m of live) {
    if (m.daemonId === me.daemonId) {
      if (m.host !== me.host) return `daemon id ${JSON.stringify(me.daemonId)} is already used by a live daemon on ${m.host}: give each daemon its own [storage] daemon_id`;
      continue; // our own previous incarnation on this host
    }
    if (overlaps(me.uidRange, m.uidRange)) {
      return `native sandbox uids ${me.uidRange[0]}+${me.uidRange[1]} overlap those of live daemon ${m.daemonId} on ${m.host} ` +
        `(${m.uidRange[0]}+${m.uidRange[1]}) sharing this task store: set a distinct [runtimes.native] uid_start on each daemon`;
    }
  }
  return undefined;
}

/** Agents hosted here under the same id but another manifest fingerprint by a live member: reported, never mixed. */
export function manifestMismatches(mine: HostedAgent[], members: Member[], myId: string): string[] {
  const out: string[] = [];
  for (const m of members) {
    if (!m.live || m.daemonId === myId) continue;
    for (const a of mine) {
      const theirs = m.agents.find((x) => x.agentId === a.agentId);
      if (theirs && theirs.agentHash !== a.agentHash) {
        out.push(`agent ${JSON.stringify(a.agentId)} differs on daemon ${m.daemonId} (${m.host}): its tasks are run only by daemons with the same manifest`);
      }
    }
  }
  return out;
}
