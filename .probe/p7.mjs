import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { readFileSync } from 'node:fs';
const r = await transpileBytes(readFileSync('test/runtime-wasm/.err-task.component.wasm'), { name: 'agent', instantiation: 'async' });
const js = Buffer.from(r.files['agent.js']).toString();
const { instantiate } = await import('data:text/javascript;base64,' + Buffer.from(js).toString('base64'));
const api = await instantiate(async (n) => WebAssembly.compile(r.files[n]), {});
try { api.executeTask('{}'); } catch (e) { console.log(e.constructor.name, Object.getOwnPropertyNames(e), e.payload, e instanceof Error); }
