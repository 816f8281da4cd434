// The contract floor of one wasm task, in its own process: what every ExecuteTask must do whatever the daemon's design
// (ari's own admission, two durable write(2)s, the two task log lines, a fresh instance of the instrumented module
// run with the seed ABI, ari's full response) on a bare grpc-js server, all in the request's own turn, and nothing
// else (no scheduler, lifecycle, journal index, metrics). Built from ari's compiled dist/, as the daemon runs.
// argv: CONFIG_TOML_FILE WORK_DIR (its journal and log files go there); prints its address.
import * as grpc from '@grpc/grpc-js';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO } from './processes.js';

const dist = (p: string) => import(join(REPO, 'dist', p));
const [{ parseConfig }, { AgentRegistry }, { admit }, { loadModule }, { runCore }, { taskOutcome }, { prepareCoreSpare },
  { submissionFromWire, recordToWire }, { WASM_ENFORCES }, { storableOutcome }, { taskDocument }, { toRow }, { loadAri }] = await Promise.all([
  'config/load-config.js', 'core/agent-registry.js', 'core/admission.js', 'runtimes/wasm/host/module-loader.js',
  'runtimes/wasm/worker/task-runner.js', 'runtimes/wasm/worker/task-outcome.js', 'runtimes/wasm/worker/core-spare.js',
  'server/wire-convert.js', 'runtimes/wasm/enforcement.js', 'contract/agent-output.js', 'contract/agent.js',
  'core/journal-schema.js', 'server/proto.js',
].map(dist));

const configFile = process.argv[2]!;
const config = parseConfig(readFileSync(configFile, 'utf8'), configFile, dirname(configFile));
const agent = config.agents[0];
const registry = new AgentRegistry(config.agents);
const policy = { defaults: config.limits.default, max: config.limits.max, maxInputBytes: config.server.maxInputBytes, enforces: () => WASM_ENFORCES };
const loaded = await loadModule(agent, { maxMemoryBytes: config.limits.max.memoryBytes, maxPrepareMillis: 10_000 });
const dir = process.argv[3]!;
const durable = openSync(join(dir, 'journal'), 'a', 0o600);
const logFd = openSync(join(dir, 'log'), 'a', 0o600);
const line = (fd: number, fields: Record<string, unknown>) => writeSync(fd, `${JSON.stringify(fields)}\n`);

/** FLOOR_PARTS (default all): the parts this floor does, for the ladder of the ablation bench. */
const PARTS = new Set((process.env.FLOOR_PARTS ?? 'response,admission,run,durable,logs').split(','));
const has = (part: string) => PARTS.has(part);

type Call = grpc.ServerUnaryCall<Record<string, unknown>, unknown>;
function executeTask(call: Call, callback: grpc.sendUnaryData<unknown>): void {
  const sub = submissionFromWire(call.request);
  const task = has('admission') ? admit(sub, registry, policy)
    : { taskId: sub.taskId, capability: sub.capability, input: JSON.parse(Buffer.from(sub.input).toString()), limits: config.limits.default, requestHash: '' };
  const now = Date.now();
  const record = { taskId: task.taskId, agentId: agent.id, runtime: 'wasm', capability: task.capability, requestHash: task.requestHash,
    limits: task.limits, status: 'RUNNING', createdAt: now, startedAt: now };
  if (has('durable')) line(durable, { op: 'insert', row: toRow(record) });
  if (has('logs')) line(logFd, { level: 'info', time: new Date().toISOString(), task_id: task.taskId, agent_id: agent.id, runtime: 'wasm', capability: task.capability, limits: task.limits, msg: 'task started' });
  let result = { status: 'COMPLETED', output: { result: 42 }, usage: { wallMs: 0, cpuMs: 0, fuelConsumed: 0, peakMemoryBytes: 0 }, metrics: {} };
  if (has('run')) {
    const req = { type: 'run', jobId: 0, moduleKey: 'floor', abi: loaded.abi, footprintBytes: loaded.footprintBytes, memory: loaded.memory, agentId: agent.id,
      env: agent.env, document: taskDocument({ ...task, agentId: agent.id }), limits: task.limits, deadline: now + task.limits.timeoutMs };
    const control = { cancel: new Int32Array(1), inline: { fuel: 100_000, untilMs: performance.now() + 1000, growPages: 16 } }; // no worker to fall back on: no 5 ms host bound
    const { end, usage } = runCore(loaded.module, req, control, () => undefined);
    result = storableOutcome(taskOutcome(end, usage, task.limits));
    setImmediate(() => prepareCoreSpare(loaded.module, loaded.footprintBytes, loaded.memory));
  }
  const finishedAt = Date.now();
  if (has('durable')) writeSync(durable, `{"op":"finish","taskId":${JSON.stringify(task.taskId)},"status":"${result.status}","at":${finishedAt},"result":${JSON.stringify(result)}}\n`);
  if (has('logs')) line(logFd, { level: 'info', time: new Date().toISOString(), task_id: task.taskId, agent_id: agent.id, runtime: 'wasm', status: result.status, usage: result.usage, msg: 'task finished' });
  callback(null, has('response') ? recordToWire({ ...record, status: result.status, result, finishedAt })
    : { task_id: task.taskId, agent_id: agent.id, status: 'COMPLETED', output: call.request.input });
}

const server = new grpc.Server();
server.addService(loadAri().service, { ExecuteTask: executeTask });
const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
process.stdout.write(`127.0.0.1:${port}\n`);
process.on('SIGTERM', () => { server.forceShutdown(); closeSync(durable); closeSync(logFd); rmSync(dir, { recursive: true, force: true }); process.exit(0); });
