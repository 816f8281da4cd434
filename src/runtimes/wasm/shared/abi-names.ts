// The names each core-module ABI is recognised by: what a seed module exports and may import, WASI's module name.

export const SEED_IMPORTS: ReadonlySet<string> = new Set(['env.log', 'env.time']);
export const SEED_EXPORTS = ['memory', 'alloc', 'execute_task'] as const;
export const WASI_MODULE = 'wasi_snapshot_preview1';
