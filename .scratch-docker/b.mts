import { runDockerBench } from '../bench/docker-bench.ts';
const t = setInterval(() => {}, 1000);
try { console.log(await runDockerBench(3)); } catch (e) { console.log('ERR', e); }
clearInterval(t);
