import { readFileSync, readdirSync } from 'node:fs';
const f = readdirSync('.probe').find((x) => x.endsWith('.cpuprofile'));
const p = JSON.parse(readFileSync('.probe/' + f));
const self = new Map(); const byId = new Map(p.nodes.map((n) => [n.id, n]));
const dt = {}; for (let i = 0; i < p.samples.length; i++) dt[p.samples[i]] = (dt[p.samples[i]] ?? 0) + (p.timeDeltas[i] ?? 0);
for (const n of p.nodes) { const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.slice(0, 40)}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + (dt[n.id] ?? 0)); }
const tot = [...self.values()].reduce((a, b) => a + b, 0);
console.log('total ms', tot / 1000);
for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log((v / 1000).toFixed(1), k);
