import { describe, expect, it } from 'vitest';
import { newAssetId, newOperationId, newUlid } from './asset-id.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The ULID time field, decoded: 10 Crockford base-32 digits, most significant first. */
function decodeTime(ulid: string): number {
  let value = 0;
  for (const char of ulid.slice(0, 10)) value = value * 32 + CROCKFORD.indexOf(char);
  return value;
}

describe('ids', () => {
  it('encodes the time first, most significant digit first, then 16 random characters', () => {
    const time = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const ulid = newUlid(time);
    expect(ulid).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(decodeTime(ulid)).toBe(time);
    expect(newUlid(0).slice(0, 10)).toBe('0000000000');
    expect(newUlid(31).slice(0, 10)).toBe('000000000Z');
    expect(newUlid(32).slice(0, 10)).toBe('0000000010');
  });

  it('prefixes asset and operation ids, which sort by creation time and never repeat', () => {
    const ids = Array.from({ length: 1000 }, () => newAssetId());
    for (const id of ids) expect(id).toMatch(/^a_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(newOperationId()).toMatch(/^op_[0-9A-HJKMNP-TV-Z]{26}$/);
    const before = newAssetId();
    const later = newUlid(Date.now() + 1000, 'a_');
    expect(later.slice(0, 12) > before.slice(0, 12)).toBe(true);
    expect(Math.abs(decodeTime(newAssetId().slice(2)) - Date.now())).toBeLessThan(60_000);
  });

  it('stays unique and uses every digit across many ids (the random bytes come from a refilled pool)', () => {
    const ids = Array.from({ length: 10_000 }, () => newAssetId());
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.slice(-16))).size).toBe(ids.length);
    const digits = new Set(ids.flatMap((id) => [...id.slice(-16)]));
    expect(digits.size).toBe(32);
  });
});
