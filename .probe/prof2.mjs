import { readFileSync, readdirSync } from 'node:fs';
const f = readdirSync('.probe').find((x) => x.endsWith('.cpuprofile'));
const p = JSON.parse(readFileSync('.probe/' + f));
const lines = new Map();
for (const n of p.nodes) if (n.callFrame.functionName === '_initGenerator' && n.positionTicks) for (const t of n.positionTicks) lines.set(t.line, (lines.get(t.line) ?? 0) + t.ticks);
const glue = readFileSync('/tmp/jcoprobe/math-command/agent.js', 'utf8').split('\n');
for (const [l, t] of [...lines].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(t, l, glue[l - 1]?.slice(0, 150));
