import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture } from '@packer/fixtures';
import { Workspace } from '../workspace/workspace.js';
import { HEADER_BYTES, RECORD_BYTES } from './pack-format.js';
import { packFilesOf, type PackFiles } from './pack-files.js';
import { readManifest, verifyPackFiles } from './pack-queries.js';
import { runBuild } from '../processing/run-build.js';
import type { PackManifest } from '../contract/build-schema.js';
import { removeTestProjects, trackTestProject } from '../testing/build-test-project.js';

afterAll(removeTestProjects);

let files: PackFiles;
let good: Buffer;
let manifest: PackManifest;

beforeAll(async () => {
  const ws = await Workspace.open(trackTestProject(await copyFixture('sample-game')));
  await runBuild(ws, { packs: ['core'] });
  files = packFilesOf(ws.root, ws.config, 'core');
  good = readFileSync(files.pack);
  manifest = readManifest(files.manifest)!;
});

/** Verifies a copy of the good pack with one byte flipped. */
async function verifyFlipped(position: number) {
  const bytes = Buffer.from(good);
  bytes[position]! ^= 0x01;
  writeFileSync(files.pack, bytes);
  try {
    return await verifyPackFiles(files);
  } finally {
    writeFileSync(files.pack, good);
  }
}

describe('verifyPack', () => {
  it('accepts an intact pack and reports its digest', async () => {
    const result = await verifyPackFiles(files);
    expect(result).toMatchObject({
      ok: true,
      pack: 'core',
      file: `build/core.${manifest.digest.slice(0, 16)}.pack`,
      digest: manifest.digest,
      entries: 15,
      bytes: good.length,
    });
  });

  it('names the entry when any byte of any entry is flipped', async () => {
    for (const [index, entry] of manifest.entries.entries()) {
      for (const position of [entry.offset, entry.offset + Math.floor(entry.size / 2), entry.offset + entry.size - 1]) {
        const result = await verifyFlipped(position);
        expect(result.ok).toBe(false);
        expect(result.problem).toMatchObject({
          section: 'entry',
          entry: { index, id: entry.id, name: entry.name, path: entry.path },
          expected: entry.digest,
        });
      }
    }
  });

  it('reports the header for a flip of any header byte', async () => {
    for (let position = 0; position < HEADER_BYTES; position++) {
      const result = await verifyFlipped(position);
      expect(result.problem?.section, `header byte ${position}`).toBe('header');
    }
  });

  it('reports the table, naming the damaged record, for a flip in a record or its strings', async () => {
    const poolStart = HEADER_BYTES + manifest.entries.length * RECORD_BYTES;
    let poolOffset = 0;
    for (const [index, entry] of manifest.entries.entries()) {
      const recordByte = HEADER_BYTES + index * RECORD_BYTES + 20;
      expect((await verifyFlipped(recordByte)).problem).toMatchObject({
        section: 'table',
        entry: { index, id: entry.id },
      });
      const stringByte = poolStart + poolOffset + 3;
      expect((await verifyFlipped(stringByte)).problem).toMatchObject({
        section: 'table',
        entry: { index, id: entry.id },
      });
      const metadata = JSON.stringify(Object.fromEntries(Object.entries(entry.metadata).sort()));
      poolOffset += [entry.id, entry.name, entry.path, entry.kind, metadata].reduce(
        (sum, text) => sum + Buffer.byteLength(text),
        0,
      );
    }
  });

  it('reports non-zero padding between entries', async () => {
    const gapAfter = manifest.entries.findIndex((entry, index) => {
      const next = manifest.entries[index + 1];
      return next !== undefined && next.offset > entry.offset + entry.size;
    });
    expect(gapAfter).toBeGreaterThanOrEqual(0);
    const entry = manifest.entries[gapAfter]!;
    expect((await verifyFlipped(entry.offset + entry.size)).problem).toMatchObject({
      section: 'padding',
      entry: { id: entry.id },
    });
  });

  it('reports a truncated pack, a stale manifest and a missing file', async () => {
    truncateSync(files.pack, good.length - 16);
    expect((await verifyPackFiles(files)).problem?.section).toBe('header');
    writeFileSync(files.pack, good);

    const stale = {
      ...manifest,
      entries: manifest.entries.map((entry, index) => (index === 3 ? { ...entry, digest: '0'.repeat(64) } : entry)),
    };
    writeFileSync(files.manifest, JSON.stringify(stale));
    expect((await verifyPackFiles(files)).problem).toMatchObject({ section: 'manifest', entry: { index: 3 } });
    writeFileSync(files.manifest, JSON.stringify({ ...manifest, digest: 'f'.repeat(64) }));
    expect((await verifyPackFiles(files)).problem).toMatchObject({
      section: 'manifest',
      expected: 'f'.repeat(64),
      actual: manifest.digest,
    });
    writeFileSync(files.manifest, JSON.stringify(manifest));

    rmSync(files.pack);
    expect((await verifyPackFiles(files)).problem?.section).toBe('file');
    writeFileSync(files.pack, good);
    expect((await verifyPackFiles(files)).ok).toBe(true);
  });
});
