#!/usr/bin/env node
// Entry point: runs the compiled CLI, or the TypeScript sources through tsx when no build exists.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
const built = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
// Tests set ARI_FROM_SOURCE=1 so a stale dist/ never hides a source change.
if (existsSync(built) && !process.env.ARI_FROM_SOURCE) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
