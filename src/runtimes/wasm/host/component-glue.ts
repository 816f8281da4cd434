// Prepares jco's generated glue for per-task instantiation: two behaviour-preserving speed patches, then a data: URL.

/**
 * On Node 20 (no JSPI) the glue probes `WebAssembly.promising(...)` inside try/catch at every instantiation. The
 * resulting "is not a function" TypeError makes V8 re-parse the enclosing ~160 KB generator to print the call site:
 * ≈ 2 ms per task. A module-scoped `WebAssembly` that inherits everything from the real one and throws a
 * preallocated error from `promising` takes the same fallback path for free. Where JSPI exists it is left alone.
 */
const PRELUDE = `const __ariNoJspi = new TypeError('WebAssembly.promising is not available');
const WebAssembly = typeof globalThis.WebAssembly.promising === 'function' ? globalThis.WebAssembly
  : Object.assign(Object.create(globalThis.WebAssembly), { promising() { throw __ariNoJspi; } });
`;

/** `_debugLog` reads process.env (a native lookup) on each of its many calls per host call; debug output is never wanted here. */
const DEBUG_CHECK = 'if (!globalThis?.process?.env?.JCO_DEBUG) { return; }';

export function glueUrl(source: string): string {
  let js = source.replaceAll(DEBUG_CHECK, 'return;');
  // The glue declares no `WebAssembly` of its own; if a future jco did, shadowing it would be a syntax error: skip.
  if (!/\b(const|let|var|function|class)\s+WebAssembly\b/.test(js)) js = PRELUDE + js;
  return `data:text/javascript;base64,${Buffer.from(js).toString('base64')}`;
}
