import { describe, expect, it } from 'vitest';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { compareEntries } from './registry-layout.js';
import { unionOf, type LoadedRegistryFile } from './registry-union.js';

function entry(id: number, path: string): RegistryEntry {
  return { id: `a_${String(id).padStart(26, '0')}`, path, kind: 'text', settings: {}, tags: [] };
}

function union(files: Record<string, RegistryEntry[]>): RegistryEntry[] {
  const loads: LoadedRegistryFile[] = Object.entries(files).map(([relative, entries]) => ({
    relative,
    load: { state: 'ok', entries, text: null },
    version: 2,
  }));
  const result = unionOf('/project', loads, new Map(Object.entries(files)), () => 'label');
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
