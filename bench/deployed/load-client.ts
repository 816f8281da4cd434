// The deployed benchmark's load generator, a process of its own: one channel, a closed loop, a JSON line out.
// argv: TARGET AGENT SEQ "IN_FLIGHT:COUNT,…" [WARM_UP] [SERVER_PID]   (AGENT is any agent id; the echo server answers any)
// With SERVER_PID, each in-flight phase also reports this client's and the server's main-thread CPU per call: at
// 64 in flight throughput follows their sum when the two work in lock-step, batch for batch.
import { connectAri } from '../../src/client/ari-client.js';
import { closedLoop } from '../stats.js';
import { threadCpuNs } from './processes.js';

const [target, agent, seqArg, parArg, warmArg, pidArg] = process.argv.slice(2);
const serverPid = pidArg ? Number(pidArg) : undefined;
const serverMainNs = () => (serverPid ? threadCpuNs(serverPid).get(serverPid)?.ns ?? NaN : NaN);
const client = connectAri(target!);
let n = 0;
const call = async () => {
  const r = await client.executeTask({
    task_id: `deployed-${process.pid}-${n++}`, agent_id: agent!, capability: 'arithmetic',
    input: JSON.stringify({ operation: 'multiply', operands: [7, 6] }),
  });
  if (r.status !== 'COMPLETED') throw new Error(`${agent}: ${r.status} ${r.error?.message}`);
};
await client.waitForReady(10_000);
const warm = Number(warmArg ?? 300);
if (warm > 0) await closedLoop(call, warm, 8); // warm-up: JIT, channel, spare instances
const seq = await closedLoop(call, Number(seqArg), 1);
const par: Record<string, { throughput: number; p50Ms: number; p99Ms: number; clientUs: number; serverMainUs: number }> = {};
for (const spec of (parArg ?? '').split(',').filter(Boolean)) {
  const [inFlight, count] = spec.split(':').map(Number);
  const cpu0 = process.cpuUsage();
  const main0 = serverMainNs();
  const r = await closedLoop(call, count!, inFlight!);
  const cpu = process.cpuUsage(cpu0);
  par[String(inFlight)] = { throughput: r.throughput, p50Ms: r.p50Ms, p99Ms: r.p99Ms,
    clientUs: (cpu.user + cpu.system) / count!, serverMainUs: (serverMainNs() - main0) / 1000 / count! };
}
process.stdout.write(`${JSON.stringify({ seq, par, calls: n })}\n`);
client.close();
process.exit(0);
