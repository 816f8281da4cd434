// The agents of fleet tests: wasm math, and a native agent that sleeps input.ms (busybox sh, no build step;
// `ms` must be the input's last key, e.g. {"n":1,"ms":200}).
import { join, resolve } from 'node:path';

const HERE = resolve(import.meta.dirname);
const SLEEP_SCRIPT = String.raw`doc=$(cat); ms=${'$'}{doc##*:}; ms=${'$'}{ms%%\}*}; usleep $((ms*1000)); printf '{"output":{"slept":%s}}' "$ms"`;

export const SLEEP_AGENT_TOML = `
[[agents]]
id = "sleep"
runtime = "native"
command = ["/usr/bin/busybox", "sh", "-c", '''${SLEEP_SCRIPT}''']
manifest = "${join(HERE, 'fixtures/sleep-manifest.json')}"
`;

export const MATH_AGENT_TOML = `
[[agents]]
id = "math"
runtime = "wasm"
module = "{{FIXTURES}}/math/math.wasm"
manifest = "{{FIXTURES}}/math/manifest.json"
`;
