// Docker-only conformance (issue 15): image VOLUMEs are capped tmpfs, never host storage; idle pooled containers
// cost ~0 CPU (the docker column of idle-pool-cpu). Registered in cases.ts; agents in fixtures/conformance/ari.toml.
import { execFile } from 'node:child_process';
import { listTaskCgroups, TaskCgroup } from '../sandbox/docker/task-cgroup.js';
import type { CaseCall, CaseSpec, NotApplicable, Observation, Verdict } from './case-types.js';
import { fail, fmtBytes, missing, outcome, outputField } from './expect.js';
import type { HostProbe } from './host-probe.js';
import type { HostScope } from './host-scan.js';

const na = (why: string): NotApplicable => ({ na: why });
const TMPFS_MAGIC = 0x01021994;
/** The per-mount cap the backend gives /tmp and each image volume (SANDBOX_FILE_LIMITS.fileSizeBytes), with slack. */
const VOLUME_CAP_BOUND = 17 * 1024 ** 2;

/** The engine's volume names (docker CLI), or null when docker cannot be asked. */
function volumeNames(): Promise<string[] | null> {
  return new Promise((resolve) => {
    execFile('docker', ['volume', 'ls', '-q'], { timeout: 15_000 }, (err, stdout) => resolve(err ? null : stdout.split('\n').filter(Boolean)));
  });
}

let volumesBefore: Promise<string[] | null> = Promise.resolve(null);

function judgeVolume(o: Observation, p: HostProbe): Promise<Verdict> | Verdict {
  const r = o.response!;
  const written = Number(outputField(o, 'written') ?? 0);
  const fsType = Number(outputField(o, 'fs_type') ?? 0);
  const fsBytes = Number(outputField(o, 'fs_bytes') ?? 0);
  const values = { written_bytes: written, fs_type: fsType, fs_bytes: fsBytes };
  if (r.status === 'OUT_OF_MEMORY') return { pass: true, observed: 'OOM (tmpfs counted against memory)', values };
  if (r.status !== 'COMPLETED') return fail(outcome(o), `expected COMPLETED (the write refused at the cap) or OUT_OF_MEMORY, got ${outcome(o)}: ${r.error?.message ?? ''}`, values);
  const observed = `${fmtBytes(written)} on ${fsType === TMPFS_MAGIC ? `tmpfs ${fmtBytes(fsBytes)}` : `fs 0x${fsType.toString(16)}`}`;
  if (fsType !== TMPFS_MAGIC) return fail(observed, `the image VOLUME is not a tmpfs inside the container (f_type 0x${fsType.toString(16)}): host-backed storage`, values);
  if (written > VOLUME_CAP_BOUND || fsBytes > VOLUME_CAP_BOUND) return fail(observed, `the agent wrote ${fmtBytes(written)} to a ${fmtBytes(fsBytes)} volume, above the cap`, values);
  if (!p.hostChecks) return { pass: true, observed, values };
  return Promise.all([volumesBefore, volumeNames()]).then(([before, after]) => {
    const made = before && after ? after.filter((n) => !before.includes(n)) : [];
    if (made.length) return fail(`${observed}, ${made.length} volume(s)`, `the engine created volume(s) ${made.join(', ')} for the task`, values);
    return { pass: true, observed, values };
  });
}

export const DOCKER_CASES: readonly CaseSpec[] = [
  {
    id: 'image-volume', title: 'image VOLUME filled (200 MiB under 32 MiB)',
    calls: {
      wasm: na('wasm agents have no image and no filesystem'),
      native: na('native agents have no image VOLUMEs: only /tmp is writable (big-file-write)'),
      docker: {
        agent: 'c-docker-volume',
        input: () => {
          volumesBefore = volumeNames();
          return { mode: 'fill', path: '/data', mb: 200 };
        },
      },
    },
    expect: (o, p) => missing(o) ?? judgeVolume(o, p),
  },
];

/** The docker column of idle-pool-cpu: a pooled agent that spins before it reads its task. */
export const DOCKER_IDLE_CALL: CaseCall = { agent: 'c-docker-idlespin', input: () => ({ mode: 'ok' }) };

/**
 * CPU of the daemon's containers over a window, from their cgroup parents (named <daemon pid>.<start>-<n>): a
 * parent seen at the start counts from there, one that appears later counts whole, one removed keeps its last
 * sample (an underestimate of at most one 50 ms interval per container).
 */
export async function dockerIdleCpuMs(scope: HostScope, windowMs: number): Promise<number> {
  const mine = (n: string) => !n.includes('canary') && (scope.daemonPid === undefined || n.startsWith(`${scope.daemonPid}.`));
  const base = new Map<string, number>();
  const last = new Map<string, number>();
  const sample = (first: boolean) => {
    for (const n of listTaskCgroups().filter(mine)) {
      const ms = new TaskCgroup(n).cpuMs();
      if (!base.has(n)) base.set(n, first ? ms : 0);
      last.set(n, Math.max(last.get(n) ?? 0, ms));
    }
  };
  sample(true);
  for (let t = 0; t < windowMs; t += 50) {
    await new Promise((r) => setTimeout(r, 50));
    sample(false);
  }
  let total = 0;
  for (const [n, ms] of last) total += ms - (base.get(n) ?? 0);
  return total;
}
