import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID body: 10 characters of millisecond time, then 16 of randomness (80 bits). */
export function newUlid(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let random = '';
  for (const byte of bytes) random += CROCKFORD[byte % 32];
  return time + random;
}

/** A new opaque asset id: `a_` + a ULID. Random enough never to repeat, so ids are never reused. */
export function newAssetId(): string {
  return `a_${newUlid()}`;
}

/** A new operation id: `op_` + a ULID (sortable by creation time). */
export function newOperationId(): string {
  return `op_${newUlid()}`;
}
