// A fleet member's view of its fleet (core's FleetHealth) in the GetHealth wire shape.
import type { FleetHealth } from '../core/fleet-member.js';
import type { WireFleetStatus } from './wire-types.js';

const counts = (r: Partial<Record<string, number>>): Record<string, number> =>
  Object.fromEntries(Object.entries(r).filter((e): e is [string, number] => typeof e[1] === 'number'));

export function fleetToWire(f: FleetHealth): WireFleetStatus {
  return {
    daemon_id: f.daemonId,
    members: f.members.map((m) => ({
      daemon_id: m.daemonId, host: m.host, address: m.address, heartbeat_ms: m.heartbeatAt, live: m.live, free_slots: counts(m.freeSlots),
    })),
    // every backend some member runs has a depth, 0 when nothing of it is queued (the store lists only non-empty ones)
    queue_depth: { ...Object.fromEntries(f.members.flatMap((m) => Object.keys(m.freeSlots)).map((k) => [k, 0])), ...counts(f.queueDepth) },
    mismatches: f.mismatches,
    store_reachable: f.storeReachable,
  };
}
