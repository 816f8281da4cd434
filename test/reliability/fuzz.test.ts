// Random and malformed requests at a live daemon over real gRPC: each gets a clear status, never INTERNAL,
// and the daemon keeps serving.
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AriRpcError, type TaskRequestInit } from '../../src/client/ari-client.js';
import { TERMINAL_STATUSES } from '../../src/contract/outcome.js';
import { loadAri } from '../../src/server/proto.js';
import { json, startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { wasmAgentToml } from '../helpers/agents-toml.js';

const MAX_REQUEST = 256 * 1024;
const MAX_INPUT = 64 * 1024;
const TOML = `
[server]
max_request_bytes = "256KiB"
max_input_bytes = "64KiB"
max_list_page = 2
[runtimes.wasm]
workers = 2
concurrency = 2
queue = 64
${wasmAgentToml('math', 'math/math.wasm')}${wasmAgentToml('math-b', 'math/math.wasm')}
# Its schema is {"type":"object"}: any object passes admission, so deep and odd JSON reaches the core.
[[agents]]
id = "trap"
runtime = "wasm"
module = "{{FIXTURES}}/wasm-hostile/trap.wasm"
manifest = "{{FIXTURES}}/wasm-hostile/manifest.json"
`;

/** A refused request: one of these codes, with a message saying why. */
const REFUSALS = ['INVALID_ARGUMENT', 'NOT_FOUND', 'ALREADY_EXISTS', 'RESOURCE_EXHAUSTED'];

let d: TestDaemon;
let raw: grpc.Client;
beforeAll(async () => {
  d = await startTestDaemon(TOML);
  raw = new grpc.Client(d.handle.address, grpc.credentials.createInsecure());
});
afterAll(async () => {
  raw?.close();
  await d?.stop();
});

async function expectClearAnswer(p: Promise<{ status: string }>, what: () => string): Promise<string> {
  try {
    const r = await p;
    expect(TERMINAL_STATUSES, what()).toContain(r.status);
    return r.status;
  } catch (e) {
    expect(e, what()).toBeInstanceOf(AriRpcError);
    const err = e as AriRpcError;
    expect(REFUSALS, `${what()} → ${err.message}`).toContain(err.code);
    expect(err.details.length, what()).toBeGreaterThan(5);
    return err.code;
  }
}

/** A deeply nested JSON document, built only when sent so a failing case prints as `deep(n, kind)`. */
class Deep {
  constructor(readonly depth: number, readonly kind: 'object' | 'array') {}
  text(): string {
    const n = this.depth;
    return this.kind === 'object' ? `${'{"a":'.repeat(n)}1${'}'.repeat(n)}` : `{"a":${'['.repeat(n)}${']'.repeat(n)}}`;
  }
  [fc.toStringMethod](): string { return `deep(${this.depth}, ${this.kind})`; }
}
const deepArb = fc.tuple(fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 12_000 })), fc.constantFrom('object' as const, 'array' as const)).map(([n, k]) => new Deep(n, k));
type FuzzRequest = Omit<TaskRequestInit, 'input'> & { input: Buffer | string | Deep };
const materialise = (r: FuzzRequest): TaskRequestInit => ({ ...r, input: r.input instanceof Deep ? r.input.text() : r.input });

const inputArb: fc.Arbitrary<Buffer | string | Deep> = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.from(b)),
  fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.record({
    operation: fc.constantFrom('add', 'subtract', 'multiply', 'divide', 'mean', 'median', 'stddev', 'pow', ''),
    operands: fc.array(fc.oneof(fc.double(), fc.integer(), fc.string()), { maxLength: 20 }),
    values: fc.array(fc.double({ noNaN: true }), { maxLength: 20 }),
  }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  deepArb,
  fc.integer({ min: MAX_INPUT - 16, max: MAX_REQUEST + 4096 }).map((n) => `{"s":"${'é'.repeat(n >> 1)}"}`),
);

const limitValue = fc.oneof(fc.constant(0), fc.nat(10_000), fc.integer({ min: -5, max: -1 }), fc.constant(2 ** 53 + 2), fc.constant(2 ** 63), fc.double({ min: 0, max: 1e6, noNaN: true }));
const limitsArb = fc.option(fc.record({
  timeout_ms: limitValue, memory_bytes: limitValue, cpu_millis: limitValue, fuel: limitValue, pids: limitValue, output_bytes: limitValue,
}, { requiredKeys: [] }), { nil: undefined });

const taskIdArb = fc.oneof(
  fc.constant(''),
  fc.constantFrom('dup-1', 'dup-2', 'dup-3'), // reused ids: ALREADY_EXISTS or the recorded outcome
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,140}$/),
  fc.constantFrom('../../etc/passwd', 'a\u0000b', ' ', 'x'.repeat(129), "'; DROP TABLE tasks; --"),
);

const requestArb: fc.Arbitrary<FuzzRequest> = fc.record({
  task_id: taskIdArb,
  agent_id: fc.oneof(fc.constantFrom('math', 'trap', '', 'MATH', 'math ', 'nope'), fc.string({ maxLength: 20 })),
  capability: fc.oneof(fc.constantFrom('arithmetic', 'statistics', 'run', '', 'poetry'), fc.string({ maxLength: 20 })),
  input: inputArb,
  limits: limitsArb as fc.Arbitrary<TaskRequestInit['limits']>,
});

/** Requests that pass admission often: real math work, and any object (deep ones too) to the {"type":"object"} agent. */
const plausibleArb: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.record({
    task_id: taskIdArb,
    agent_id: fc.constant('math'),
    capability: fc.constant('arithmetic'),
    input: fc.record({ operation: fc.constantFrom('add', 'subtract', 'multiply', 'divide'), operands: fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 2, maxLength: 30 }) }).map((v) => JSON.stringify(v)),
    limits: limitsArb as fc.Arbitrary<TaskRequestInit['limits']>,
  }),
  fc.record({
    task_id: taskIdArb,
    agent_id: fc.constant('trap'),
    capability: fc.constant('run'),
    input: fc.oneof(
      fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 10 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 }).map((v) => JSON.stringify(v)),
      deepArb,
    ),
    limits: fc.constant(undefined),
  }),
);

function rawUnary(method: string, body: Buffer): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    raw.makeUnaryRequest(`/ari.v1.AgentRuntime/${method}`, (b: Buffer) => b, (b: Buffer) => b, body, { deadline: Date.now() + 20_000 },
      (err) => resolve(err ? { code: err.code, details: err.details } : { code: 0, details: '' }));
  });
}

describe('fuzz: the live daemon answers every request clearly', () => {
  it('random TaskRequests to ExecuteTask: a task status or a clear refusal', async () => {
    const seen = new Map<string, number>();
    await fc.assert(fc.asyncProperty(fc.oneof(requestArb, plausibleArb), async (fuzzed) => {
      const req = materialise(fuzzed);
      const code = await expectClearAnswer(d.client.executeTask(req, { deadlineMs: 30_000 }), () => fc.stringify({ ...fuzzed, input: fuzzed.input instanceof Deep ? fuzzed.input : String(fuzzed.input).slice(0, 200) }));
      seen.set(code, (seen.get(code) ?? 0) + 1);
    }), { numRuns: Number(process.env.FUZZ_RUNS ?? 300), seed: Number(process.env.FUZZ_SEED ?? Date.now() % 1e9), endOnFailure: true });
    console.log('ExecuteTask answers:', Object.fromEntries(seen));
    expect(seen.get('INVALID_ARGUMENT')).toBeGreaterThan(0);
    expect(seen.get('COMPLETED')).toBeGreaterThan(0);
  });

  it('random bytes as the protobuf body of every method: never INTERNAL or UNKNOWN', async () => {
    const methods = ['ExecuteTask', 'SubmitTask', 'GetTask', 'CancelTask', 'GetManifest', 'ListAgents', 'GetHealth'];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...methods), fc.uint8Array({ minLength: 1, maxLength: 512 }), async (method, bytes) => {
      const r = await rawUnary(method, Buffer.from(bytes));
      expect([grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.ALREADY_EXISTS, grpc.status.RESOURCE_EXHAUSTED],
        `${method} ${Buffer.from(bytes).toString('hex').slice(0, 80)} → ${grpc.status[r.code]}: ${r.details}`).toContain(r.code);
    }), { numRuns: Number(process.env.FUZZ_RUNS ?? 300) });
  });

  it('wrong wire types for known fields are refused as INVALID_ARGUMENT', async () => {
    // field 1 (task_id, a string) sent as a varint; field 5 (limits, a message) as a fixed64.
    for (const body of [Buffer.from([0x08, 0x96, 0x01]), Buffer.from([0x29, 1, 2, 3, 4, 5, 6, 7, 8]), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])]) {
      const r = await rawUnary('ExecuteTask', body);
      expect(grpc.status[r.code], r.details).toMatch(/INVALID_ARGUMENT|NOT_FOUND/);
    }
  });

  it('a request above server.max_request_bytes is RESOURCE_EXHAUSTED; an input above max_input_bytes is INVALID_ARGUMENT', async () => {
    const huge = d.client.executeTask({ agent_id: 'math', capability: 'arithmetic', input: `{"x":"${'a'.repeat(MAX_REQUEST + 10)}"}` });
    await expect(huge).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    const big = d.client.executeTask({ agent_id: 'math', capability: 'arithmetic', input: `{"x":"${'a'.repeat(MAX_INPUT + 10)}"}` });
    await expect(big).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: expect.stringMatching(/max_input_bytes/) });
  });

  it('task-id RPCs with odd ids, and ListAgents paging, answer clearly', async () => {
    for (const id of ['', 'nope', 'x'.repeat(10_000), '\u0000', '😀', '../x']) {
      await expect(d.client.getTask(id)).rejects.toMatchObject({ code: expect.stringMatching(/NOT_FOUND|INVALID_ARGUMENT/) });
      await expect(d.client.cancelTask(id)).rejects.toMatchObject({ code: expect.stringMatching(/NOT_FOUND|INVALID_ARGUMENT/) });
      const stream = (async () => { for await (const _ of d.client.streamUpdates(id)) { /* nothing expected */ } })();
      await expect(stream).rejects.toMatchObject({ code: expect.stringMatching(/NOT_FOUND|INVALID_ARGUMENT/) });
    }
    const agents = await d.client.listAgents();
    expect(agents.map((a) => a.id).sort()).toEqual(['math', 'math-b', 'trap']);
    const pages = loadAri().Client;
    const typed = new pages(d.handle.address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, Function>;
    const list = (body: object) => new Promise<{ code: number; details: string; agents: unknown[] }>((resolve) => {
      typed['ListAgents']!(body, (err: grpc.ServiceError | null, res: { agents: unknown[] }) =>
        resolve(err ? { code: err.code, details: err.details, agents: [] } : { code: 0, details: '', agents: res.agents }));
    });
    const capped = await list({ page_size: 4_000_000_000, page_token: '' });
    expect(capped.agents).toHaveLength(2); // capped at server.max_list_page
    expect((await list({ page_size: 1, page_token: '' })).agents).toHaveLength(1);
    for (const token of ['-1', '1e9', 'abc', '99999999999999999999']) {
      const r = await list({ page_size: 1, page_token: token });
      expect(grpc.status[r.code], `${token}: ${r.details}`).toBe('INVALID_ARGUMENT');
    }
    typed.close();
  });

  it('keeps serving afterwards', async () => {
    const h = await d.client.getHealth();
    expect(h.serving).toBe(true);
    const r = await d.client.executeTask({ agent_id: 'math', capability: 'arithmetic', input: '{"operation":"multiply","operands":[7,6]}' });
    expect(r.status).toBe('COMPLETED');
    expect(json(r.output)).toEqual({ result: 42 });
  });
});
