// Re-checks every backend's health() on an interval and reports changes, so the per-backend gRPC health
// services, ari_backend_up and /readyz follow a Docker engine that stops and comes back.
import type { BackendHealth } from '../runtimes/runtime.js';
import type { Logger } from './logger.js';

export interface HealthSource { readonly name: string; health(): Promise<BackendHealth> }

export interface BackendMonitor {
  /** The last known state of each backend. */
  current(): BackendHealth[];
  /** Checks all backends now (also what the timer does). */
  check(): Promise<void>;
  stop(): void;
}

export async function startBackendMonitor(
  backends: HealthSource[], intervalMs: number, logger: Logger, onChange: (h: BackendHealth) => void,
): Promise<BackendMonitor> {
  const last = new Map<string, BackendHealth>();
  let checking: Promise<void> | undefined;
  const checkOne = async (b: HealthSource) => {
    let h: BackendHealth;
    try {
      h = await b.health();
    } catch (e) {
      // health() should never throw; if it does, the backend is not one to send tasks to.
      h = { runtime: b.name as BackendHealth['runtime'], available: false, reason: `health check failed: ${(e as Error).message}`, features: {} };
    }
    const before = last.get(b.name);
    last.set(b.name, h);
    if (before?.available === h.available) return;
    if (before) logger[h.available ? 'info' : 'warn']({ runtime: b.name, available: h.available, reason: h.reason || undefined }, h.available ? 'backend available again' : 'backend became unavailable');
    onChange(h);
  };
  const check = () => (checking ??= Promise.all(backends.map(checkOne)).then(() => { checking = undefined; }));
  await check();
  const timer = setInterval(() => { void check(); }, intervalMs);
  timer.unref();
  return { current: () => [...last.values()], check, stop: () => clearInterval(timer) };
}
