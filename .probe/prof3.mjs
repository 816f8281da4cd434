import { readFileSync, readdirSync } from 'node:fs';
const f = readdirSync('.probe').find((x) => x.endsWith('.cpuprofile'));
const p = JSON.parse(readFileSync('.probe/' + f));
const lines = new Map();
for (const n of p.nodes) if (n.callFrame.url.startsWith('data:') && n.positionTicks) for (const t of n.positionTicks) { const k = n.callFrame.functionName + ':' + t.line; lines.set(k, (lines.get(k) ?? 0) + t.ticks); }
const glue = readFileSync('/tmp/jcoprobe/math-command/agent.js', 'utf8').split('\n');
for (const [k, t] of [...lines].sort((a, b) => b[1] - a[1]).slice(0, 30)) { const l = +k.split(':')[1] - 3; console.log(t, k, glue[l - 1]?.trim().slice(0, 120)); }
