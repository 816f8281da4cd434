// The ari.v1.AgentRuntime handlers: wire in, domain call, wire out; every failure through toServiceError.
import type * as grpc from '@grpc/grpc-js';
import type { AriCore } from '../core/ari-core.js';
import { invalid } from '../core/domain-error.js';
import { isTerminal } from '../core/task-record.js';
import { toServiceError } from './status-map.js';
import { rejectMalformed } from './tolerant-decoding.js';
import { backendToWire, manifestToWire, recordToWire, submissionFromWire, updateToWire } from './wire-convert.js';
import type { WireTaskRequest, WireTaskUpdate } from './wire-types.js';

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;

/** Wraps a promise-returning handler so every rejection is mapped once. */
function unary<Req, Res>(f: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res> | Res): Unary<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => {
        rejectMalformed(call.request);
        return f(call.request, call);
      })
      .then((res) => callback(null, res), (err) => callback(toServiceError(err) as grpc.ServiceError))
      // A callback that throws (e.g. an unserialisable response) must not become an unhandled rejection.
      .catch((err) => callback(toServiceError(err) as grpc.ServiceError));
  };
}

export function agentRuntimeHandlers(core: AriCore): grpc.UntypedServiceImplementation {
  const { tasks, registry } = core;
  return {
    GetManifest: unary((req: { agent_id: string }) => {
      const a = registry.get(req.agent_id ?? '');
      return manifestToWire(a, core.agentLimits(a));
    }),

    ListAgents: unary((req: { page_size: number; page_token: string }) => {
      const all = registry.list();
      const size = Math.min(req.page_size || core.maxListPage, core.maxListPage);
      const start = req.page_token ? Number(req.page_token) : 0;
      if (!Number.isInteger(start) || start < 0 || start > all.length) throw invalid(`page_token ${JSON.stringify(req.page_token)} is invalid`);
      const page = all.slice(start, start + size);
      const next = start + size < all.length ? String(start + size) : '';
      return { agents: page.map((a) => manifestToWire(a, core.agentLimits(a))), next_page_token: next };
    }),

    ExecuteTask: unary(async (req: WireTaskRequest, call) => {
      const { done } = tasks.submit(submissionFromWire(req));
      // The client going away does not cancel the task: its outcome stays retrievable by id.
      void call;
      return recordToWire(await done);
    }),

    SubmitTask: unary((req: WireTaskRequest) => recordToWire(tasks.submit(submissionFromWire(req)).record)),

    GetTask: unary((req: { task_id: string }) => recordToWire(tasks.get(req.task_id ?? ''))),

    CancelTask: unary(async (req: { task_id: string }) => recordToWire(await tasks.cancel(req.task_id ?? ''))),

    GetHealth: unary(async () => {
      const h = await core.health();
      return {
        serving: h.serving, version: h.version, uptime_ms: h.uptimeMs,
        backends: h.backends.map((b) => backendToWire(b.health, b.queued, b.running)),
      };
    }),

    StreamUpdates: (call: grpc.ServerWritableStream<{ task_id: string }, WireTaskUpdate>) => {
      let off: (() => void) | undefined;
      try {
        rejectMalformed(call.request);
        off = tasks.subscribe(call.request.task_id ?? '', (u) => {
          call.write(updateToWire(u));
          if (isTerminal(u.status) && u.kind === 'result') {
            off?.();
            call.end();
          }
        });
      } catch (err) {
        // emit('error') sends the status; destroy(err) would skip _final and leave the client waiting forever.
        call.emit('error', Object.assign(new Error(), toServiceError(err)));
        return;
      }
      call.on('cancelled', () => off?.());
      call.on('close', () => off?.());
    },
  };
}
