import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID body: 10 characters of millisecond time, then 16 of randomness (80 bits), after `prefix`. Built as one flat
 * string (array join): appending character by character made a tree of ~12 V8 cons strings per id, 266 bytes of heap
 * per asset id instead of 58, held by every registry entry until the daemon restarts (21 MB per 100k added assets).
 */
export function newUlid(now: number = Date.now(), prefix = ''): string {
  const chars = new Array<string>(27);
  chars[0] = prefix;
  let t = now;
  for (let i = 10; i >= 1; i--) {
    chars[i] = CROCKFORD[t % 32]!;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  for (let i = 0; i < 16; i++) chars[11 + i] = CROCKFORD[bytes[i]! % 32]!;
  return chars.join('');
}

/** A new opaque asset id: `a_` + a ULID. Random enough never to repeat, so ids are never reused. */
export function newAssetId(): string {
  return newUlid(Date.now(), 'a_');
}

/** A new operation id: `op_` + a ULID (sortable by creation time). */
export function newOperationId(): string {
  return newUlid(Date.now(), 'op_');
}
