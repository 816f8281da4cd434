// Loaded into `ari serve` with --import by the profile bench: SIGUSR2 starts the main thread's CPU profiler, the
// next SIGUSR2 stops it and writes $ARI_PROFILE_OUT-<n>.cpuprofile. Only the main thread and only the measured phase
// are sampled (node --cpu-prof profiles every thread from startup, and its overhead swamped the figures).
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { isMainThread } from 'node:worker_threads';

const out = process.env.ARI_PROFILE_OUT;
if (isMainThread && out) {
  const session = new Session();
  session.connect();
  const post = (method, params = {}) => new Promise((res, rej) => session.post(method, params, (e, r) => (e ? rej(e) : res(r))));
  const interval = Number(process.env.ARI_PROFILE_INTERVAL_US ?? 100);
  let running = false;
  let n = 0;
  process.on('SIGUSR2', () => {
    void (async () => {
      if (!running) {
        running = true;
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval });
        await post('Profiler.start');
        writeFileSync(`${out}-${n}.started`, '');
      } else {
        running = false;
        const { profile } = await post('Profiler.stop');
        // Written aside and renamed: the bench reads the file as soon as it appears.
        writeFileSync(`${out}-${n}.tmp`, JSON.stringify(profile));
        renameSync(`${out}-${n}.tmp`, `${out}-${n++}.cpuprofile`);
      }
    })();
  });
}
