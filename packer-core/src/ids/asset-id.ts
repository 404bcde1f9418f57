import { randomFillSync } from 'node:crypto';

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
  if (randomUsed + 16 > randomPool.length) {
    randomFillSync(randomPool);
    randomUsed = 0;
  }
  for (let i = 0; i < 16; i++) chars[11 + i] = CROCKFORD[randomPool[randomUsed + i]! % 32]!;
  randomUsed += 16;
  return chars.join('');
}

/**
 * Random bytes for ids, drawn from the system's CSPRNG 64 KiB at a time: a `randomBytes(16)` call per id was 2.4 us,
 * most of the id's cost, and an add of 100,000 files makes 200,000 ids (its preview and the plan that commits).
 * 256 is a multiple of 32, so each byte `% 32` is an unbiased Crockford digit.
 */
const randomPool = Buffer.alloc(16 * 4096);
let randomUsed = randomPool.length;

/** A new opaque asset id: `a_` + a ULID. Random enough never to repeat, so ids are never reused. */
export function newAssetId(): string {
  return newUlid(Date.now(), 'a_');
}

/** A new operation id: `op_` + a ULID (sortable by creation time). */
export function newOperationId(): string {
  return newUlid(Date.now(), 'op_');
}
