import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { PackManifest } from '../contract/build-schema.js';
import {
  commitManifest,
  discardPack,
  SourceMismatch,
  stagePack,
  type PackSource,
  type SourceReady,
  type StagedPack,
} from './pack-writer.js';
import { StageWorkers } from './stage-worker.js';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

const dirs: string[] = [];
const workers = new StageWorkers();
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
afterAll(() => workers.close());

const manifestBase = { format: 'packer-pack-manifest' as const, version: 1, pack: 'p', project: 'test', revision: 1 };

/**
 * A build folder with `count` outputs of mixed sizes (some past the writer's 4 MiB chunk) appended to one segment
 * file, as the output cache stores them, and a source for each.
 */
function fixture(count: number): { dir: string; sources: PackSource[]; segment: string; outputs: Buffer[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'packer-pack-writer-'));
  dirs.push(dir);
  const outputs = Array.from({ length: count }, (_, index) =>
    randomBytes(index % 7 === 3 ? (4 << 20) + 1234 : 1 + ((index * 7919) % 90_000)),
  );
  const segment = path.join(dir, 'cache.seg');
  writeFileSync(segment, Buffer.concat(outputs));
  let offset = 0;
  const sources = outputs.map((bytes, index): PackSource => {
    const source = {
      // Ids out of file order: the layout sorts them.
      entry: {
        id: `a_${String((index * 37) % count).padStart(4, '0')}`,
        name: `out/${index}.bin`,
        path: `assets/${index}.bin`,
        kind: 'binary',
        size: bytes.length,
        digest: sha(bytes),
        metadata: { index },
      },
      file: segment,
      offset,
      fromCache: true,
      cacheKey: `k${index}`,
    };
    offset += bytes.length;
    return source;
  });
  return { dir, sources, segment, outputs };
}

const files = (dir: string, name: string) => ({ name, manifest: path.join(dir, `${name}.manifest.json`) });

/** Resolves each source after a random delay, so completions arrive in any order. */
function outOfOrder(seed: number): { ready: SourceReady; asked: string[] } {
  let state = seed;
  const asked: string[] = [];
  const ready: SourceReady = (source) => {
    asked.push(source.entry.id);
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    // A third ready at once (fed in batches), the rest after 0–15 ms.
    if (state % 3 === 0) return source;
    return new Promise((resolve) => setTimeout(() => resolve(source), state % 16));
  };
  return { ready, asked };
}

describe('stagePack', () => {
  it('stages the manifest with the pack: committing renames it in place as JSON.stringify writes it; discarding leaves nothing', async () => {
    const { dir, sources } = fixture(30);
    const staged = await stagePack(files(dir, 'kept'), sources, manifestBase, workers);
    const target = files(dir, 'kept').manifest;
    expect(readdirSync(dir)).not.toContain('kept.manifest.json');
    commitManifest(staged);
    expect(readdirSync(dir).filter((name) => name.startsWith('.kept.manifest.json'))).toEqual([]);
    const text = readFileSync(target, 'utf8');
    const manifest = JSON.parse(text) as PackManifest;
    expect(text).toBe(`${JSON.stringify(manifest, null, 2)}\n`);
    expect(manifest).toMatchObject({ file: staged.file, digest: staged.digest, bytes: staged.bytes });
    expect(manifest.entries.map((entry) => entry.id).sort()).toEqual(sources.map((source) => source.entry.id).sort());

    const dropped = await stagePack(files(dir, 'dropped'), sources, manifestBase, workers);
    discardPack(dropped);
    expect(readdirSync(dir).filter((name) => name.includes('dropped'))).toEqual([]);
  });
});

describe('stagePack fed while outputs arrive', () => {
  it('writes the same bytes as from outputs all present, whatever order they become ready in', async () => {
    const { dir, sources } = fixture(40);
    const whole = await stagePack(files(dir, 'whole'), sources, manifestBase, workers);
    const wholeBytes = readFileSync(whole.temp);
    for (const seed of [1, 2, 3]) {
      // Every download lands in an order of its own; the writer takes them in file order.
      const { ready, asked } = outOfOrder(seed);
      const fed = await stagePack(
        files(dir, `fed${seed}`),
        sources,
        manifestBase,
        workers,
        undefined,
        undefined,
        ready,
      );
      expect(readFileSync(fed.temp).equals(wholeBytes)).toBe(true);
      expect(fed.digest).toBe(whole.digest);
      expect(fed.crcs).toEqual(whole.crcs);
      // The staged manifests list the same entries, in file order, the order the feed was asked in.
      const listed = (staged: StagedPack) =>
        (JSON.parse(readFileSync(staged.manifest.temp, 'utf8')) as PackManifest).entries.map((entry) => entry.id);
      expect(listed(fed)).toEqual(listed(whole));
      expect(asked).toEqual(listed(whole));
    }
  });

  it('takes the location and CRC the feed answers, and a CRC that does not match is a SourceMismatch naming it', async () => {
    const { dir, sources, outputs } = fixture(12);
    // The bytes move to another file once "stored": the feed says where.
    const moved = path.join(dir, 'moved.seg');
    writeFileSync(moved, Buffer.concat([Buffer.alloc(100), ...outputs]));
    const crcOf = (source: PackSource) => crc32!(outputs[Number(source.cacheKey.slice(1))]!);
    const relocate: SourceReady = (source) => ({ ...source, file: moved, offset: source.offset + 100 });
    const reference = await stagePack(files(dir, 'ref'), sources, manifestBase, workers);
    const staged = await stagePack(
      files(dir, 'moved'),
      sources.map((source) => ({ ...source, file: path.join(dir, 'not-yet-there') })),
      manifestBase,
      workers,
      undefined,
      undefined,
      async (source) => ({ ...(await relocate(source)), crc: crc32 ? crcOf(source) : undefined }),
    );
    expect(staged.digest).toBe(reference.digest);

    if (!crc32) return;
    const victim = sources[5]!;
    const wrong = stagePack(files(dir, 'bad'), sources, manifestBase, workers, undefined, undefined, (source) =>
      source === victim ? { ...source, crc: (crcOf(source) + 1) >>> 0 } : source,
    );
    await expect(wrong).rejects.toBeInstanceOf(SourceMismatch);
    await expect(wrong).rejects.toMatchObject({ source: { cacheKey: victim.cacheKey } });
    expect(readdirSync(dir).filter((name) => name.startsWith('.bad.'))).toEqual([]);
  });

  it('a feed that gives up half-way leaves no temp file, and the worker takes the next pack', async () => {
    const { dir, sources } = fixture(20);
    let fed = 0;
    const stale = new Error('the output is not the one the pack was laid out with');
    const failing = stagePack(files(dir, 'stale'), sources, manifestBase, workers, undefined, undefined, (source) => {
      fed++;
      if (fed === 11) return Promise.reject(stale);
      return fed % 2 ? source : Promise.resolve(source);
    });
    await expect(failing).rejects.toBe(stale);
    expect(readdirSync(dir).filter((name) => name.startsWith('.stale.'))).toEqual([]);
    const after = await stagePack(files(dir, 'after'), sources, manifestBase, workers);
    const again = await stagePack(files(dir, 'again'), sources, manifestBase, workers);
    expect(after.digest).toBe(again.digest);
  });

  it('an abort while the writer waits for the next output ends the pack at once, leaving nothing', async () => {
    const { dir, sources } = fixture(10);
    const controller = new AbortController();
    let calls = 0;
    const staged = stagePack(
      files(dir, 'cancel'),
      sources,
      manifestBase,
      workers,
      controller.signal,
      undefined,
      (source) => {
        calls++;
        if (calls < 4) return source;
        // Never ready: only the abort ends the wait.
        if (calls === 4) setImmediate(() => controller.abort());
        return new Promise<PackSource>(() => undefined);
      },
    );
    await expect(staged).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(readdirSync(dir).filter((name) => name.startsWith('.cancel.'))).toEqual([]);
  });
});
