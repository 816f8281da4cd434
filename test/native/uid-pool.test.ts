// The per-task uid pool: distinct uids, waiting when exhausted, cancellable waits, misuse refused.
import { describe, expect, it } from 'vitest';
import { UidPool } from '../../src/sandbox/native/uid-pool.js';

describe('UidPool', () => {
  it('hands out distinct uids from its range', async () => {
    const pool = new UidPool(2_000_000, 3);
    const got = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    expect(new Set(got).size).toBe(3);
    for (const u of got) expect(pool.contains(u)).toBe(true);
    expect(pool.available).toBe(0);
  });

  it('makes the next caller wait for a release', async () => {
    const pool = new UidPool(2_000_000, 1);
    const first = await pool.acquire();
    let second: number | undefined;
    const waiting = pool.acquire().then((u) => (second = u));
    await Promise.resolve();
    expect(second).toBeUndefined();
    pool.release(first);
    await waiting;
    expect(second).toBe(first);
  });

  it('tryAcquire never waits, and a release goes to a waiter before the free list', async () => {
    const pool = new UidPool(2_000_000, 1);
    const u = pool.tryAcquire()!;
    expect(pool.tryAcquire()).toBeUndefined();
    const waiting = pool.acquire();
    expect(pool.waiting).toBe(1);
    pool.release(u);
    expect(pool.tryAcquire()).toBeUndefined(); // the waiter got it
    expect(await waiting).toBe(u);
  });

  it('drops an aborted waiter', async () => {
    const pool = new UidPool(2_000_000, 1);
    const u = await pool.acquire();
    const ac = new AbortController();
    const w = pool.acquire(ac.signal);
    ac.abort(new Error('stop'));
    await expect(w).rejects.toThrow('stop');
    pool.release(u);
    expect(pool.available).toBe(1);
  });

  it('refuses root-ish ranges, foreign uids and double releases', async () => {
    expect(() => new UidPool(0, 4)).toThrow(/≥ 1000/);
    expect(() => new UidPool(5000, 0)).toThrow(/≥ 1/);
    const pool = new UidPool(5000, 2);
    expect(() => pool.release(42)).toThrow(/not from this pool/);
    expect(() => pool.release(5000)).toThrow(/twice/);
  });
});
