// The TaskObserver the daemon hands the task service: metrics always, task spans when tracing is on.
import type { TaskObserver } from '../core/task-service.js';
import type { TaskRecord } from '../core/task-record.js';
import type { Metrics } from './metrics.js';
import type { TaskTracer } from './tracing.js';

const labelsOf = (r: TaskRecord) => ({ agent: r.agentId, runtime: r.runtime, capability: r.capability });

export function taskObserver(metrics: Metrics, tracer: TaskTracer | null): TaskObserver {
  return {
    received: (r, trace) => {
      metrics.received(labelsOf(r));
      tracer?.received(r, trace);
    },
    started: (r) => tracer?.started(r),
    finished: (r, seconds) => {
      metrics.finished(labelsOf(r), r.status, r.result?.error?.code, seconds);
      tracer?.finished(r);
    },
  };
}
