import { runDockerBench } from '../bench/docker-bench.ts';
process.on('beforeExit', () => { console.error('beforeExit; active:', (process as any).getActiveResourcesInfo()); });
console.log(await runDockerBench(2));
