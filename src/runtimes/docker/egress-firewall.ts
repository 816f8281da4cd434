// Host INPUT filtering for an egress bridge: from it the host answers only TCP to the gateway on session ports.
// An --internal network isolates from the outside, not from the host: every host service bound to 0.0.0.0 is
// reachable through the gateway (and the host's other addresses) unless the host's INPUT chain drops it.
import { execFile } from 'node:child_process';

const run = (cmd: string, args: string[]): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(cmd, ['-w', ...args], (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return reject(new Error(`${cmd} not found: apt-get install iptables`));
      if (err) return reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      resolve(stdout);
    });
  });

const quietly = (p: Promise<unknown>) => p.then(() => undefined, () => undefined);

/** The chain of a bridge: named after it, so a sweep finds it from the network's bridge name alone. */
export const chainOf = (bridge: string): string => bridge.toUpperCase();

/**
 * Installs the bridge's filter: IPv4 INPUT from the bridge jumps to its own chain, which ends in DROP (session
 * ports are ACCEPTed above it by allowPort); IPv6 from the bridge is dropped outright (the network has none, but
 * link-local addresses exist). Idempotent: a leftover of the same name is replaced.
 */
export async function installBridgeFilter(bridge: string): Promise<void> {
  await removeBridgeFilter(bridge);
  const chain = chainOf(bridge);
  await run('iptables', ['-N', chain]);
  await run('iptables', ['-A', chain, '-j', 'DROP']);
  await run('iptables', ['-I', 'INPUT', '1', '-i', bridge, '-j', chain]);
  await run('ip6tables', ['-I', 'INPUT', '1', '-i', bridge, '-j', 'DROP']);
}

/** Removes the bridge's filter, whatever part of it exists. Never throws. */
export async function removeBridgeFilter(bridge: string): Promise<void> {
  const chain = chainOf(bridge);
  // Deleted one at a time until absent: a crash between two installs may have left duplicates.
  for (let i = 0; i < 8; i++) {
    const gone = await run('iptables', ['-D', 'INPUT', '-i', bridge, '-j', chain]).then(() => false, () => true);
    if (gone) break;
  }
  for (let i = 0; i < 8; i++) {
    const gone = await run('ip6tables', ['-D', 'INPUT', '-i', bridge, '-j', 'DROP']).then(() => false, () => true);
    if (gone) break;
  }
  await quietly(run('iptables', ['-F', chain]));
  await quietly(run('iptables', ['-X', chain]));
}

/** ACCEPTs TCP to the gateway on one session port; resolves to its removal (idempotent, never throws). */
export async function allowPort(bridge: string, gateway: string, port: number): Promise<() => Promise<void>> {
  const rule = [chainOf(bridge), '-p', 'tcp', '-d', `${gateway}/32`, '--dport', String(port), '-j', 'ACCEPT'];
  await run('iptables', ['-I', ...rule]);
  let removal: Promise<void> | undefined;
  return () => (removal ??= quietly(run('iptables', ['-D', ...rule])));
}

/** Fails with what to install or fix when this host cannot filter (no iptables/ip6tables, or not allowed). */
export async function checkFirewall(): Promise<void> {
  await run('iptables', ['-L', 'INPUT', '-n']);
  await run('ip6tables', ['-L', 'INPUT', '-n']);
}
