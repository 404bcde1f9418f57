import { describe, expect, it } from 'vitest';
import { RefusalLimiter } from './refusal-limiter.js';

describe('RefusalLimiter', () => {
  it('logs a burst per address, then counts quietly until the budget refills', () => {
    let now = 0;
    const limiter = new RefusalLimiter({ burst: 3, perSecond: 1, now: () => now });
    expect([1, 2, 3, 4, 5].map(() => limiter.admit('127.0.0.1'))).toEqual([true, true, true, false, false]);
    // Another address has its own budget.
    expect(limiter.admit('::1')).toBe(true);
    now += 1000;
    expect(limiter.admit('127.0.0.1')).toBe(true);
    expect(limiter.admit('127.0.0.1')).toBe(false);
    expect(limiter.takeSuppressed()).toEqual(new Map([['127.0.0.1', 3]]));
    expect(limiter.takeSuppressed().size).toBe(0);
  });

  it('remembers a bounded number of addresses', () => {
    const limiter = new RefusalLimiter({ burst: 1, perSecond: 0, maxAddresses: 2, now: () => 0 });
    expect(limiter.admit('a')).toBe(true);
    expect(limiter.admit('b')).toBe(true);
    expect(limiter.admit('c')).toBe(true); // forgets 'a', the least recently seen
    expect(limiter.admit('a')).toBe(true);
    expect(limiter.admit('a')).toBe(false);
  });
});
