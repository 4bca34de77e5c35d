/**
 * The portal's circuit breaker on virtual time: it must not open at a steady random fault rate well
 * below its threshold, must open within a minute when the portal is down, and must judge the portal
 * again on several trial calls, not one.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { seededRandom } from '../adapters/shared/seeded-random.js';
import { Breaker, BreakerOpenError, type BreakerOptions } from '../src/resilience/breaker.js';
import { DEFAULT_CIRCUIT, DEFAULT_PORTAL_CIRCUIT } from '../src/resilience/options.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_800_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const ok = () => Promise.resolve('ok');
const fail = () => Promise.reject(new Error('HTTP 500'));

function portalBreaker(over: Partial<BreakerOptions> = {}): { breaker: Breaker; events: string[] } {
  const breaker = new Breaker('dvcqg', { ...DEFAULT_PORTAL_CIRCUIT, ...over });
  const events: string[] = [];
  for (const e of ['open', 'halfOpen', 'close'] as const) breaker.on(e, () => events.push(e));
  return { breaker, events };
}

/** One call settling now, failing with probability `p`; true when the breaker refused it. */
async function call(breaker: Breaker, failing: boolean): Promise<'refused' | 'ok' | 'failed'> {
  try {
    await breaker.fire(failing ? fail : ok);
    return 'ok';
  } catch (e) {
    return e instanceof BreakerOpenError ? 'refused' : 'failed';
  }
}

describe('the portal breaker', () => {
  it('never opens at a steady 28 % random failure rate (seeds 1-20, an hour each at 20 calls/s)', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = seededRandom(seed);
      const { breaker, events } = portalBreaker();
      for (let i = 0; i < 72_000; i++) {
        vi.advanceTimersByTime(50);
        await call(breaker, random() < 0.28);
      }
      expect({ seed, events }).toEqual({ seed, events: [] });
      breaker.shutdown();
    }
  });

  it('opens within a minute when the portal goes down, even after a busy minute of successes', async () => {
    const { breaker, events } = portalBreaker();
    for (let i = 0; i < 1_200; i++) {
      vi.advanceTimersByTime(50);
      await call(breaker, false);
    }
    // Down, and hanging: 64 calls in flight, each failing at the 10 s timeout (6.4 failures/s).
    let openedAfterMs: number | null = null;
    for (let t = 0; t < 60_000 && openedAfterMs === null; t += 156) {
      vi.advanceTimersByTime(156);
      await call(breaker, true);
      if (breaker.opened) openedAfterMs = t;
    }
    expect(events).toEqual(['open']);
    expect(openedAfterMs).not.toBeNull();
    expect(openedAfterMs!).toBeLessThan(60_000);
    // Open: calls are refused at once, without reaching the portal.
    expect(await call(breaker, false)).toBe('refused');
    breaker.shutdown();
  });

  it('lets ten trial calls through when half-open and closes when fewer than half of them fail', async () => {
    const { breaker, events } = portalBreaker({ volumeThreshold: 4 });
    for (let i = 0; i < 4; i++) await call(breaker, true);
    expect(breaker.opened).toBe(true);
    vi.advanceTimersByTime(DEFAULT_PORTAL_CIRCUIT.openMs);
    expect(breaker.halfOpen).toBe(true);
    // Ten trials in flight; the eleventh call is refused.
    const gates: Array<(fail: boolean) => void> = [];
    const trials = Array.from({ length: 10 }, () =>
      breaker.fire(() => new Promise<string>((resolve, reject) => gates.push((f) => (f ? reject(new Error('500')) : resolve('ok'))))).catch(() => 'failed'),
    );
    expect(await call(breaker, false)).toBe('refused');
    // Four of ten fail: a coin toss would have reopened on the first.
    gates.forEach((settle, i) => settle(i < 4));
    await Promise.all(trials);
    expect(events).toEqual(['open', 'halfOpen', 'close']);
    expect(await call(breaker, false)).toBe('ok');
    breaker.shutdown();
  });

  it('opens again as soon as half of the trials failed', async () => {
    const { breaker, events } = portalBreaker({ volumeThreshold: 4 });
    for (let i = 0; i < 4; i++) await call(breaker, true);
    vi.advanceTimersByTime(DEFAULT_PORTAL_CIRCUIT.openMs);
    for (let i = 0; i < 3; i++) expect(await call(breaker, false)).toBe('ok');
    for (let i = 0; i < 5; i++) expect(await call(breaker, true)).toBe('failed');
    expect(events).toEqual(['open', 'halfOpen', 'open']);
    expect(await call(breaker, false)).toBe('refused');
    breaker.shutdown();
  });

  it('closes on the trials that ran when traffic is too thin for ten', async () => {
    const { breaker, events } = portalBreaker({ volumeThreshold: 4 });
    for (let i = 0; i < 4; i++) await call(breaker, true);
    vi.advanceTimersByTime(DEFAULT_PORTAL_CIRCUIT.openMs);
    for (let i = 0; i < 3; i++) expect(await call(breaker, false)).toBe('ok');
    expect(breaker.halfOpen).toBe(true);
    vi.advanceTimersByTime(DEFAULT_PORTAL_CIRCUIT.openMs);
    expect(events).toEqual(['open', 'halfOpen', 'close']);
  });

  it('ignores calls started before the state changed', async () => {
    const { breaker } = portalBreaker({ volumeThreshold: 4 });
    let late: (() => void) | undefined;
    const slow = breaker.fire(() => new Promise<string>((_, reject) => (late = () => reject(new Error('timeout'))))).catch(() => 'failed');
    for (let i = 0; i < 4; i++) await call(breaker, true);
    vi.advanceTimersByTime(DEFAULT_PORTAL_CIRCUIT.openMs);
    late!();
    await slow;
    expect(breaker.halfOpen).toBe(true);
    breaker.shutdown();
  });
});

describe('the sector sources breaker', () => {
  it('keeps the defaults of API.md: one trial call decides', async () => {
    const { breaker, events } = portalBreaker({ ...DEFAULT_CIRCUIT });
    for (let i = 0; i < 10; i++) await call(breaker, true);
    vi.advanceTimersByTime(DEFAULT_CIRCUIT.openMs);
    expect(await call(breaker, true)).toBe('failed');
    expect(events).toEqual(['open', 'halfOpen', 'open']);
    vi.advanceTimersByTime(DEFAULT_CIRCUIT.openMs);
    expect(await call(breaker, false)).toBe('ok');
    expect(events).toEqual(['open', 'halfOpen', 'open', 'halfOpen', 'close']);
    breaker.shutdown();
  });
});
