import { describe, expect, it } from 'vitest';
import { connectionLostError } from './rpc-error.js';

describe('connectionLostError', () => {
  it('tells a caller that sent an idempotency key to retry with it, and anyone else how to find out what happened', () => {
    const keyed = connectionLostError('mutation.apply', { planId: 'plan_1', idempotencyKey: 'k-1' });
    expect(keyed.code).toBe('CONNECTION_LOST');
    expect(keyed.message).toContain('before it answered mutation.apply; the outcome is unknown');
    expect(keyed.data.hint).toContain('same idempotencyKey');
    // The CLI never shows a key: pointing its users at one sent them looking for something they never had.
    for (const params of [{ planId: 'plan_1' }, undefined, null, 'x'])
      expect(connectionLostError('mutation.apply', params).data.hint).toMatch(
        /^Check with `packer events`(?!.*idempotencyKey)/,
      );
  });
});
