import { describe, expect, it } from 'vitest';
import { resolveLimits } from '../../src/core/limits-resolver.js';
import { DomainError } from '../../src/core/domain-error.js';
import { BUILTIN_DEFAULT_LIMITS as D, BUILTIN_MAX_LIMITS as M } from '../../src/config/limits-config.js';

describe('resolveLimits', () => {
  it('fills gaps with defaults and applies agent limits', () => {
    const l = resolveLimits(D, M, { timeoutMs: 5000 }, {});
    expect(l.timeoutMs).toBe(5000);
    expect(l.memoryBytes).toBe(D.memoryBytes);
  });
  it('lets a request tighten', () => {
    expect(resolveLimits(D, M, { timeoutMs: 5000 }, { timeoutMs: 100 }).timeoutMs).toBe(100);
  });
  it('treats 0 as unset', () => {
    expect(resolveLimits(D, M, {}, { fuel: 0 }).fuel).toBe(D.fuel);
  });
  it('rejects a request above the ceiling naming the limit and both values', () => {
    const f = () => resolveLimits(D, M, {}, { timeoutMs: M.timeoutMs + 1 });
    expect(f).toThrow(DomainError);
    expect(f).toThrow(/limits\.timeout_ms.*300001.*ceiling 300000/);
  });
  it('rejects a request that loosens the agent limit', () => {
    expect(() => resolveLimits(D, M, { memoryBytes: 1000 }, { memoryBytes: 2000 })).toThrow(/memory_bytes.*2000.*agent's limit 1000/);
  });
  it('clamps agent limits to the ceiling', () => {
    expect(resolveLimits(D, { ...M, pids: 10 }, { pids: 50 }, {}).pids).toBe(10);
  });
});
