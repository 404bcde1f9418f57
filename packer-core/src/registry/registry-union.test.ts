import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PackerError } from '../contract/errors.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { compareEntries } from './registry-layout.js';
import { unionSteps, type LoadedRegistryFile } from './registry-union.js';
import { runSteps } from '../workspace/turn-event-loop.js';

function entry(id: number, path: string): RegistryEntry {
  return { id: `a_${String(id).padStart(26, '0')}`, path, kind: 'text', settings: {}, tags: [] };
}

function union(files: Record<string, RegistryEntry[]>): RegistryEntry[] {
  const loads: LoadedRegistryFile[] = Object.entries(files).map(([relative, entries]) => ({
    relative,
    load: { state: 'ok', entries, text: null },
    version: 2,
  }));
  const result = runSteps(unionSteps('/project', loads, new Map(Object.entries(files)), () => 'label'));
  if (result.load.state !== 'ok') throw result.load.error;
  return result.load.entries;
}

describe('registry union order', () => {
  it('is code point order across shards, also where JavaScript string order differs (astral vs U+E000)', () => {
    const astral = entry(1, 'assets/\u{1F600}.txt');
    const privateUse = entry(2, 'assets/\uE000.txt');
    const plain = [entry(3, 'assets/a.txt'), entry(4, 'assets/b.txt'), entry(5, 'assets/b.txt')];
    const merged = union({
      'packer.registry/0.json': [plain[1]!, astral],
      'packer.registry/1.json': [plain[0]!, plain[2]!, privateUse],
    });
    expect(merged.map((item) => item.id)).toEqual([3, 4, 5, 2, 1].map((id) => entry(id, '').id));
  });

  it('gives the same order as compareEntries for paths without surrogates', () => {
    const entries = Array.from({ length: 500 }, (_, index) =>
      entry(index, `assets/${(index * 7919) % 97}/${String.fromCharCode(0x41 + (index % 60))}${index % 13}.txt`),
    );
    const merged = union({
      'packer.registry/a.json': entries.slice(0, 250),
      'packer.registry/b.json': entries.slice(250),
    });
    expect(merged).toEqual([...entries].sort(compareEntries));
  });
});

describe('an id on a line in two registry files', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  function refusal(root: string, files: Record<string, RegistryEntry[]>): PackerError {
    const loads: LoadedRegistryFile[] = Object.entries(files).map(([relative, entries]) => ({
      relative,
      load: { state: 'ok', entries, text: null },
      version: 2,
    }));
    const result = runSteps(unionSteps(root, loads, new Map(Object.entries(files)), () => 'label'));
    if (result.load.state === 'ok') throw new Error('the union was accepted');
    return result.load.error;
  }

  // As a git merge leaves it when one branch moved the asset to another folder and the other tagged it in place.
  it('names both files and paths, the line to keep (its path is on disk) and the other line’s values as a command', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'packer-union-'));
    roots.push(root);
    mkdirSync(path.join(root, 'assets/text/more'), { recursive: true });
    writeFileSync(path.join(root, 'assets/text/more/items.json'), '{}');
    const moved = entry(1, 'assets/text/more/items.json');
    const tagged = { ...entry(1, 'assets/data/items.json'), tags: ['shop'] };
    const error = refusal(root, {
      'packer.registry/c.json': [moved],
      'packer.registry/f.json': [entry(2, 'assets/data/enemies.json'), tagged],
    });
    expect(error.code).toBe('INVALID_REGISTRY');
    expect(error.message).toBe(
      `Asset id ${moved.id} appears in two registry files: packer.registry/c.json (assets/text/more/items.json) and packer.registry/f.json (assets/data/items.json).`,
    );
    expect(error.data).toMatchObject({
      diagnostic: 'DUPLICATE_ID',
      hint: `Each asset id must be unique; this usually comes from a git merge where one branch moved the asset to another folder and the other changed it. Keep the line in packer.registry/c.json (assets/text/more/items.json is on disk, assets/data/items.json is not) and delete the one in packer.registry/f.json, then save. The lines also differ (the one in packer.registry/f.json has tag shop added): to keep those values, run \`packer set ${moved.id} --tag shop --yes\` once the file is saved.`,
    });
  });

  it('without one path on disk, leaves the choice to the user and still says what differs', () => {
    const a = entry(1, 'assets/a.txt');
    const b = { ...entry(1, 'assets/b/a.txt'), kind: 'data' };
    const error = refusal('/nonexistent-project', { 'packer.registry/1.json': [a], 'packer.registry/2.json': [b] });
    expect(error.data.hint).toContain(
      'Keep the line whose path is right (in packer.registry/1.json or packer.registry/2.json) and delete the other, then save. The lines also differ (the other has kind data)',
    );
  });
});
