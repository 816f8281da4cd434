// The runtime's internal egress network: containers of network tasks reach the host's proxy endpoints, nothing else.
// One network per runtime (creating one takes 1–3 s on this engine, too much per task). Attribution on the shared
// network is by peer address: a task's endpoint admits only its own container's IP; containers cannot reach each
// other (icc off) and, without CAP_NET_RAW, cannot forge another's address.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { proxyEnv } from '../../egress/proxy-env.js';
import type { EgressGrant } from '../runtime.js';
import type { ContainerClient } from './container-client.js';
import { LABEL_DAEMON, LABEL_MANAGED, LABEL_OWNER } from './container-spec.js';
import { allowPort, checkFirewall, installBridgeFilter, removeBridgeFilter } from './egress-firewall.js';
import { OWNER, ownerAlive } from './owner.js';

/** The host interface of the network's bridge (so a sweep can remove its firewall chain). */
export const LABEL_BRIDGE = 'ari.bridge';

export class EgressNetwork {
  private constructor(
    private readonly client: ContainerClient,
    readonly id: string,
    readonly name: string,
    readonly bridge: string,
    readonly gateway: string,
  ) {}

  /** Creates the network and its host filter; on any failure nothing of it is left. */
  static async create(client: ContainerClient, daemonId: string): Promise<EgressNetwork> {
    await checkFirewall();
    const bridge = `ari${randomBytes(4).toString('hex')}`; // an interface name: at most 15 characters
    const net = await client.createNetwork({
      name: `ari-egress-${bridge.slice(3)}`,
      labels: { [LABEL_MANAGED]: '1', [LABEL_DAEMON]: daemonId, [LABEL_OWNER]: OWNER, [LABEL_BRIDGE]: bridge },
      options: {
        'com.docker.network.bridge.name': bridge,
        'com.docker.network.bridge.enable_icc': 'false',
        'com.docker.network.bridge.enable_ip_masquerade': 'false',
      },
    });
    try {
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(net.gateway)) throw new Error(`egress network ${net.name} has no IPv4 gateway (${net.gateway || 'none'})`);
      await installBridgeFilter(bridge);
    } catch (e) {
      await removeBridgeFilter(bridge);
      await client.removeNetwork(net.id).catch(() => undefined);
      throw e;
    }
    return new EgressNetwork(client, net.id, net.name, bridge, net.gateway);
  }

  /**
   * Opens the task's proxy endpoint on the gateway and lets its port through the host filter. The endpoint
   * holds every connection until admit() names the container's address, and refuses all after end().
   */
  async attach(grant: EgressGrant): Promise<TaskEgress> {
    const task = new TaskEgress(this.name);
    const endpoint = await grant.open({ host: this.gateway, acceptPeer: (a) => task.accepts(a) });
    try {
      task.opened(proxyEnv(endpoint.url), await allowPort(this.bridge, this.gateway, endpoint.port));
    } catch (e) {
      await task.end();
      throw e;
    }
    return task;
  }

  /** Removes the filter and the network (its containers must be gone). Never throws. */
  async remove(): Promise<void> {
    await removeBridgeFilter(this.bridge);
    await this.client.removeNetwork(this.id).catch(() => undefined);
  }
}

/** One task's use of the network: its proxy env, the container address its endpoint admits, its port rule. */
export class TaskEgress {
  env: Record<string, string> = {};
  private closePort: () => Promise<void> = async () => undefined;
  private ended = false;
  private settle!: (address: string | undefined) => void;
  private readonly peer = new Promise<string | undefined>((r) => { this.settle = r; });

  constructor(readonly network: string) {}

  opened(env: Record<string, string>, closePort: () => Promise<void>): void {
    this.env = env;
    this.closePort = closePort;
  }

  /** The container's address on the network, known once it started. */
  admit(address: string): void {
    this.settle(address);
  }

  async accepts(address: string): Promise<boolean> {
    const expected = await this.peer;
    return !this.ended && expected !== undefined && address === expected;
  }

  /** The container stopped: nothing more is admitted (its address may be reused) and the port is closed. */
  end(): Promise<void> {
    this.ended = true;
    this.settle(undefined);
    return this.closePort();
  }
}

/** Removes egress networks (and their host filters) whose owning daemon process is gone. Returns how many. */
export async function sweepStaleNetworks(client: ContainerClient, logger?: Logger): Promise<number> {
  const stale = (await client.networksByLabel(`${LABEL_MANAGED}=1`)).filter((n) => !ownerAlive(n.labels[LABEL_OWNER] ?? ''));
  for (const n of stale) {
    const bridge = n.labels[LABEL_BRIDGE];
    if (bridge && /^ari[0-9a-f]{8}$/.test(bridge)) await removeBridgeFilter(bridge);
    await client.removeNetwork(n.id).catch((e: Error) => logger?.warn({ network: n.name, err: e.message }, 'cannot remove a stale egress network'));
  }
  return stale.length;
}

/** Tells the task's endpoint its container's address (known once started); a container without one is removed. */
export async function admitContainer(client: ContainerClient, session: { id: string; dispose(): Promise<void> }, egress: TaskEgress): Promise<void> {
  const address = await client.inspect(session.id).then((s) => s.addresses[egress.network], () => undefined);
  if (!address) {
    await session.dispose();
    throw new Error(`container ${session.id.slice(0, 12)} has no address on the egress network ${egress.network}`);
  }
  egress.admit(address);
}
