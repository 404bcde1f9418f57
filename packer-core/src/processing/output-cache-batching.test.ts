import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OutputCache, type CachedOutput } from './output-cache.js';

const dirs: string[] = [];
afterEach(() => {
  segments.clear();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'packer-output-cache-'));
  dirs.push(dir);
  return dir;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const segments = new Map<string, Buffer>();
function bytesOf(output: CachedOutput): Buffer {
  const { file, offset } = output.stored!;
  if (!segments.has(file)) segments.set(file, readFileSync(file));
  return segments.get(file)!.subarray(offset, offset + output.size);
}

describe('OutputCache write batching', () => {
  it('small outputs stored concurrently with large ones and whole files land at the offsets they were given', async () => {
    const dir = tempDir();
    const cache = OutputCache.open(path.join(dir, 'cache'));
    const expected = new Map<string, Buffer>();
    const stores: Promise<CachedOutput>[] = [];
    for (let index = 0; index < 300; index++) {
      const key = `key-${index}`;
      // Mostly small outputs (batched), a few of 1.5 MiB (written on their own) and a few whole files.
      const size = index % 50 === 7 ? 1.5 * 1024 * 1024 : 1 + ((index * 7919) % 20_000);
      const bytes = randomBytes(size);
      expected.set(key, bytes);
      if (index % 40 === 3) {
        const file = path.join(dir, `out-${index}`);
        writeFileSync(file, bytes);
        stores.push(cache.storeFile(key, file, {}));
      } else stores.push(cache.storeBytes(key, bytes, {}, sha256(bytes)));
    }
    const outputs = await Promise.all(stores);
    await cache.flush();
    outputs.forEach((output, index) => {
      const bytes = expected.get(`key-${index}`)!;
      expect(output.digest).toBe(sha256(bytes));
      expect(bytesOf(output).equals(bytes), `key-${index}`).toBe(true);
    });
    await cache.save();
    segments.clear();
    const reopened = OutputCache.open(path.join(dir, 'cache'));
    for (const [key, bytes] of expected) expect(bytesOf(reopened.lookup(key)!).equals(bytes), key).toBe(true);
    await reopened.close();
  });

  it('save writes what is still batched: outputs stored just before are there after reopening', async () => {
    const dir = tempDir();
    const cache = OutputCache.open(path.join(dir, 'cache'));
    const bytes = Buffer.from('a small output, still in the batch');
    await cache.storeBytes('k', bytes, { note: 'x' }, sha256(bytes));
    await cache.save();
    const reopened = OutputCache.open(path.join(dir, 'cache'));
    const output = reopened.lookup('k')!;
    await reopened.close();
    expect(output).toMatchObject({ digest: sha256(bytes), size: bytes.length, metadata: { note: 'x' } });
    expect(bytesOf(output).equals(bytes)).toBe(true);
  });
});
