import { describe, expect, it } from 'vitest';
import { formatCount } from './format.js';

describe('formatCount', () => {
  it("groups digits exactly as toLocaleString('en-US') does", () => {
    const counts = [0, 7, 999, 1_000, 1_001, 12_345, 100_000, 999_999, 1_000_000, 1_234_567_890, -1_000, -12];
    for (const count of [...counts, Number.MAX_SAFE_INTEGER, 1e21, 1.5, 1234.5678])
      expect(formatCount(count), String(count)).toBe(count.toLocaleString('en-US'));
  });
});
