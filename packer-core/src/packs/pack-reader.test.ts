import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture } from '@packer/fixtures';
import { PackerError } from '../contract/errors.js';
import { Workspace } from '../workspace/workspace.js';
import { layoutPack, parseHeader, parseTable, HEADER_BYTES } from './pack-format.js';
import { packFilesOf } from './pack-files.js';
import { PackReader } from './pack-reader.js';
import { runBuild } from '../processing/run-build.js';
import { removeTestProjects, trackTestProject } from '../testing/build-test-project.js';

afterAll(removeTestProjects);

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('pack format', () => {
  it('lays out entries sorted by id, 16-byte aligned, whatever the input order', () => {
    const entries = ['a_3', 'a_1', 'a_2'].map((id, index) => ({
      id,
      name: `n${id}`,
      path: `assets/n${id}`,
      kind: 'data',
      size: 5 + index * 7,
      digest: sha(Buffer.from(id)),
      metadata: { b: 1, a: 'x' },
    }));
    const one = layoutPack(entries);
    const two = layoutPack([...entries].reverse());
    expect(one.indexBytes.equals(two.indexBytes)).toBe(true);
    expect(one.index.entries.map((entry) => entry.id)).toEqual(['a_1', 'a_2', 'a_3']);
    for (const entry of one.index.entries) expect(entry.offset % 16).toBe(0);
    expect(one.index.fileLength % 16).toBe(0);
    const header = parseHeader(one.indexBytes.subarray(0, HEADER_BYTES));
    const parsed = parseTable(one.indexBytes.subarray(HEADER_BYTES, HEADER_BYTES + header.tableLength), header);
    expect(parsed).toEqual(one.index.entries.map((entry) => ({ ...entry, metadata: { a: 'x', b: 1 } })));
  });
});

describe('PackReader', () => {
  it('reads entries by id, output name or source path, and streams them', async () => {
    const ws = await Workspace.open(trackTestProject(await copyFixture('sample-game')));
    await runBuild(ws, { packs: ['core', 'sprites'] });
    const reader = await PackReader.open(packFilesOf(ws.root, ws.config, 'core').pack);
    try {
      expect(reader.entries).toHaveLength(15);
      const readme = reader.find('assets/text/how-to-play.md')!;
      expect(readme).toMatchObject({ name: 'text/how-to-play.md', kind: 'text' });
      const byId = await reader.read(readme.id);
      expect((await reader.read(readme.name)).equals(byId)).toBe(true);
      expect((await reader.read(readme.path)).equals(byId)).toBe(true);
      expect(byId.includes('\r'.charCodeAt(0))).toBe(false);
      expect(await text(reader.stream(readme.id))).toBe(byId.toString('utf8'));

      const settings = await reader.read('data/game-settings.json');
      const source = readFileSync(path.join(ws.root, 'assets/data/game-settings.json'), 'utf8');
      expect(settings.toString('utf8')).toBe(JSON.stringify(JSON.parse(source)));
      await expect(reader.read('nope.json')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await reader.close();
    }
    const sprites = await PackReader.open(packFilesOf(ws.root, ws.config, 'sprites').pack);
    const bat = sprites.find('sprites/enemies/bat.png')!;
    expect(bat.metadata).toEqual({ format: 'png', width: 32, height: 32 });
    expect((await sprites.read(bat.id)).equals(readFileSync(path.join(ws.root, bat.path)))).toBe(true);
    await sprites.close();
  });

  it('refuses a damaged index on open and a damaged entry on read', async () => {
    const ws = await Workspace.open(trackTestProject(await copyFixture('sample-game')));
    await runBuild(ws, { packs: ['core'] });
    const file = packFilesOf(ws.root, ws.config, 'core').pack;
    const good = readFileSync(file);
    const damaged = Buffer.from(good);
    damaged[HEADER_BYTES + 2]! ^= 1;
    writeFileSync(file, damaged);
    const error = await PackReader.open(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PackerError);
    expect((error as PackerError).data.section).toBe('table');

    writeFileSync(file, good);
    const reader = await PackReader.open(file);
    const entry = reader.entries[4]!;
    const bad = Buffer.from(good);
    bad[entry.offset]! ^= 1;
    writeFileSync(file, bad);
    await expect(reader.read(entry.id)).rejects.toMatchObject({ code: 'PACK_CORRUPT' });
    await reader.close();
  });
});
