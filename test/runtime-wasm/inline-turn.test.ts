// InlineTurn: at most INLINE_PER_TURN inline runs per event-loop turn, the rest in later turns in arrival order, with
// I/O (a socket's answers) let through between groups.
import { describe, expect, it } from 'vitest';
import { INLINE_PER_TURN, InlineTurn } from '../../src/runtimes/wasm/host/inline-turn.js';

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

describe('InlineTurn', () => {
  it('runs a burst in groups of INLINE_PER_TURN, one group per turn, in arrival order', async () => {
    const turn = new InlineTurn();
    const order: number[] = [];
    const turnOf: number[] = [];
    let turns = 0;
    const ticking = setInterval(() => undefined, 1); // keeps the loop turning while the test counts
    const counter = () => { turns++; if (order.length < 40) setImmediate(counter); };
    setImmediate(counter);
    const runs = Array.from({ length: 40 }, async (_, i) => {
      const later = turn.slot();
      if (later) await later;
      order.push(i);
      turnOf.push(turns);
    });
    expect(turn.queued()).toBe(40 - INLINE_PER_TURN);
    await Promise.all(runs);
    clearInterval(ticking);
    expect(order).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const perTurn = new Map<number, number>();
    for (const t of turnOf) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    expect([...perTurn.values()].every((n) => n <= INLINE_PER_TURN)).toBe(true);
    expect(perTurn.size).toBe(Math.ceil(40 / INLINE_PER_TURN));
  });

  it('gives a full turn to a new burst once the last one has drained', async () => {
    const turn = new InlineTurn(2);
    expect(turn.slot()).toBeUndefined();
    expect(turn.slot()).toBeUndefined();
    const third = turn.slot();
    expect(third).toBeInstanceOf(Promise);
    await third;
    await nextTurn();
    await nextTurn();
    expect(turn.slot()).toBeUndefined();
    expect(turn.slot()).toBeUndefined();
    expect(turn.queued()).toBe(0);
  });

  it('lets a due timer run before the next group', async () => {
    const turn = new InlineTurn(1);
    const seen: string[] = [];
    expect(turn.slot()).toBeUndefined();
    const second = turn.slot();
    expect(second).toBeInstanceOf(Promise);
    setTimeout(() => seen.push('timer'), 0);
    for (const until = Date.now() + 3; Date.now() < until;); // the timer is due before the loop turns
    await second;
    seen.push('second group');
    expect(seen).toEqual(['timer', 'second group']);
  });
});
