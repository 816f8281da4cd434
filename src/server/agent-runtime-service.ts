// The ari.v1.AgentRuntime handlers: wire in, domain call, wire out; every failure through toServiceError.
import { fleetToWire } from './fleet-wire.js';
import type * as grpc from '@grpc/grpc-js';
import type { AriCore } from '../core/ari-core.js';
import { invalid } from '../core/domain-error.js';
import { isTerminal } from '../core/task-record.js';
import { toServiceError } from './status-map.js';
import { rejectMalformed } from './tolerant-decoding.js';
import { backendToWire, manifestToWire, recordToWire, submissionFromWire, updateToWire } from './wire-convert.js';
import type { WireListTasksRequest, WireTaskRequest, WireTaskUpdate } from './wire-types.js';
import { KEPT_LOG_LINES } from '../core/task-service.js';
import { listQueryFromWire } from './wire-convert.js';
import { traceHeaders } from './rpc-tracing.js';

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
      // The client going away does not cancel the task: its outcome stays retrievable by id.
      const { done } = await tasks.submit({ ...submissionFromWire(req), ...traceHeaders(call.metadata) });
      return recordToWire(await done);
    }),

    SubmitTask: unary(async (req: WireTaskRequest, call) =>
      recordToWire((await tasks.submit({ ...submissionFromWire(req), ...traceHeaders(call.metadata) })).record)),

    ListTasks: unary(async (req: WireListTasksRequest) => {
      const page = await tasks.list(listQueryFromWire(req, core.maxListPage));
      return { tasks: page.records.map(recordToWire), next_page_token: page.next };
    }),

    GetTaskLogs: unary(async (req: { task_id: string }) => {
      const r = await tasks.get(req.task_id ?? '');
      const lines = r.result?.logs ?? [];
      return { task_id: r.taskId, status: r.status, lines, truncated: lines.length >= KEPT_LOG_LINES };
    }),

    GetTask: unary(async (req: { task_id: string }) => recordToWire(await tasks.get(req.task_id ?? ''))),

    CancelTask: unary(async (req: { task_id: string }) => recordToWire(await tasks.cancel(req.task_id ?? ''))),

    GetHealth: unary(async () => {
      const h = await core.health();
      return {
        serving: h.serving, version: h.version, uptime_ms: h.uptimeMs,
        backends: h.backends.map((b) => backendToWire(b.health, b.queued, b.running, b.enforces)),
        ...(h.fleet ? { fleet: fleetToWire(h.fleet) } : {}),
      };
    }),

    StreamUpdates: (call: grpc.ServerWritableStream<{ task_id: string }, WireTaskUpdate>) => {
      let off: (() => void) | undefined;
      let ended = false;
      call.on('cancelled', () => { ended = true; off?.(); });
      call.on('close', () => { ended = true; off?.(); });
      Promise.resolve()
        .then(() => {
          rejectMalformed(call.request);
          // The task may live in a shared store: subscribing is a read away.
          return tasks.subscribe(call.request.task_id ?? '', (u) => {
            if (ended) return;
            call.write(updateToWire(u));
            if (isTerminal(u.status) && u.kind === 'result') {
              ended = true;
              off?.();
              call.end();
            }
          });
        })
        .then((unsubscribe) => { off = unsubscribe; if (ended) unsubscribe(); })
        // emit('error') sends the status; destroy(err) would skip _final and leave the client waiting forever.
        .catch((err) => call.emit('error', Object.assign(new Error(), toServiceError(err))));
    },
  };
}
