// Where preview2-shim's I/O thread imports http-io-extension from: the compiled .js beside this file, or — running
// from the TypeScript sources (vitest, tsx), where that thread has no TypeScript loader — the source transpiled to JS.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

let url: URL | undefined;

/** Computed on a worker's first wasi:http request (never for tasks without one); synchronous like the call it serves. */
export function extensionUrl(): URL {
  if (url) return url;
  if (!import.meta.url.endsWith('.ts')) return (url = new URL('./http-io-extension.js', import.meta.url));
  // esbuild is tsx's own transpiler, present wherever the sources can run at all; transformSync leaves no service running.
  const { transformSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const source = readFileSync(new URL('./http-io-extension.ts', import.meta.url), 'utf8');
  const { code } = transformSync(source, { loader: 'ts', format: 'esm', target: 'node20' });
  return (url = new URL(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`));
}
