// Builds real execute-task components from WAT with the repo's jco wasm-tools (componentEmbed + componentNew).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { REPO_DIR, tmpDir } from './wat.js';

let n = 0;

/** Writes the component to a temp file and returns its path. */
export async function componentFile(name: string, coreWat: string): Promise<string> {
  const core = await parse(coreWat);
  const witSource = readFileSync(join(REPO_DIR, 'proto/ari/v1/agent.wit'), 'utf8');
  const embedded = await componentEmbed({ binary: core, witSource, world: 'agent' });
  const file = join(tmpDir(), `${name}-${n++}.component.wasm`);
  writeFileSync(file, await componentNew(embedded));
  return file;
}
