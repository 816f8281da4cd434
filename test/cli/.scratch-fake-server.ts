// scratch: fake AgentRuntime to smoke the CLI (deleted before hand-back)
import * as grpc from '@grpc/grpc-js';
import { loadAri } from '../../src/server/proto.js';
const { service } = loadAri();
const server = new grpc.Server();
const resp = (id: string, status: string, out?: unknown) => ({ task_id: id, agent_id: 'math', runtime: 'wasm', status, output: out === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(out)), error: status === 'COMPLETED' ? null : { code: 'AGENT_ERROR', message: 'division by zero' }, usage: { wall_ms: 3, cpu_ms: 1, peak_memory_bytes: 65536, fuel_consumed: 1234, exit_code: 0, signal: '', output_bytes: 14 }, metrics: {}, limits: null, capability: 'arithmetic' });
const manifest = { id: 'math', name: 'MathAgent', version: '1.0.0', description: 'arith', runtime: 'wasm', capabilities: [{ name: 'arithmetic', description: 'ops', schema: '{"type":"object"}' }, { name: 'statistics', description: '', schema: '' }], requirements: { a: 'b' }, limits: { timeout_ms: 5000, memory_bytes: 67108864, cpu_millis: 0, fuel: 1000000, pids: 0, output_bytes: 1048576 } };
server.addService(service, {
  GetManifest: (c: any, cb: any) => c.request.agent_id === 'math' || !c.request.agent_id ? cb(null, manifest) : cb({ code: grpc.status.NOT_FOUND, details: `agent "${c.request.agent_id}" not found` }),
  ListAgents: (_c: any, cb: any) => cb(null, { agents: [manifest, { ...manifest, id: 'math-native', runtime: 'native' }], next_page_token: '' }),
  ExecuteTask: (c: any, cb: any) => {
    console.error('auth=', c.metadata.get('authorization'), 'limits=', JSON.stringify(c.request.limits));
    const input = JSON.parse(c.request.input.toString());
    if (c.request.agent_id !== 'math') return cb({ code: grpc.status.NOT_FOUND, details: 'agent not found' });
    if (input.operands?.[1] === 0) return cb(null, resp('t1', 'FAILED'));
    cb(null, resp(c.request.task_id || 't1', 'COMPLETED', { result: input.operands[0] * input.operands[1] }));
  },
  SubmitTask: (c: any, cb: any) => cb(null, resp('t2', 'QUEUED')),
  GetTask: (c: any, cb: any) => c.request.task_id === 't2' ? cb(null, resp('t2', 'COMPLETED', { a: 1, b: [2] })) : cb({ code: grpc.status.NOT_FOUND, details: 'no such task' }),
  CancelTask: (c: any, cb: any) => cb(null, resp(c.request.task_id, 'CANCELLED')),
  GetHealth: (_c: any, cb: any) => cb(null, { serving: true, version: '0.1.0', uptime_ms: 123456, backends: [{ runtime: 'wasm', available: true, reason: '', features: { fuel: 'yes' }, queued: 0, running: 1 }, { runtime: 'docker', available: false, reason: 'dockerd not running', features: {}, queued: 0, running: 0 }] }),
  StreamUpdates: async (c: any) => {
    const id = c.request.task_id;
    if (id === 'missing') { c.emit('error', { code: grpc.status.NOT_FOUND, details: 'no such task' }); return; }
    const now = Date.now();
    c.write({ task_id: id, status: 'QUEUED', kind: 'status', timestamp_ms: now, message: '' });
    await new Promise((r) => setTimeout(r, 100));
    c.write({ task_id: id, status: 'RUNNING', kind: 'status', timestamp_ms: now + 100, message: '' });
    c.write({ task_id: id, status: 'RUNNING', kind: 'log', timestamp_ms: now + 120, message: 'computing...' });
    c.write({ task_id: id, status: 'COMPLETED', kind: 'result', timestamp_ms: now + 200, message: '', result: resp(id, 'COMPLETED', { result: 'hello' }) });
    c.end();
  },
});
server.bindAsync('127.0.0.1:19191', grpc.ServerCredentials.createInsecure(), () => console.error('fake up'));
