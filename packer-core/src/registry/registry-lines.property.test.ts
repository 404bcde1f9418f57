import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PackerError } from '../contract/errors.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { canonicalEntry, parseRegistry, readRegistry, serializeRegistry } from './registry-codec.js';
import { comparePaths, REGISTRY_FOOTER, REGISTRY_HEADER } from './registry-layout.js';
import { RegistryLines } from './registry-lines.js';

const ROOT = '/project';
const FILE = 'packer.registry.json';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

const idArb = fc
  .string({ unit: fc.constantFrom(...CROCKFORD), minLength: 26, maxLength: 26 })
  .map((tail) => `a_${tail}`);
// Names mix ASCII, Latin-1, BMP characters above the surrogates and astral ones, so byte order and UTF-16 order differ.
const nameArb = fc
  .string({
    unit: fc.constantFrom('a', 'b', 'Z', '-', '_', '.', 'é', '\uFF21', '\u{1F600}', '\u{10437}'),
    minLength: 1,
    maxLength: 6,
  })
  .filter((name) => name !== '.' && name !== '..');
const pathArb = fc.array(nameArb, { minLength: 1, maxLength: 3 }).map((parts) => `assets/${parts.join('/')}`);
const entryArb = fc.record({
  id: idArb,
  path: pathArb,
  kind: fc.constantFrom('image', 'data', 'text'),
  settings: fc.dictionary(
    fc.constantFrom('b', 'a', 'maxSize', 'premultiply'),
    fc.oneof(fc.boolean(), fc.integer(), fc.string({ maxLength: 4 })),
  ),
  tags: fc.array(fc.constantFrom('ui', 'hero', 'b', 'a'), { maxLength: 3 }),
}) as fc.Arbitrary<RegistryEntry>;
const entriesArb = fc.uniqueArray(entryArb, { selector: (entry) => entry.id, maxLength: 40 });

type Step =
  | { op: 'add'; entry: RegistryEntry }
  | { op: 'remove'; pick: number }
  | { op: 'move'; pick: number; path: string }
  | { op: 'tag'; pick: number; tag: string };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  entryArb.map((entry) => ({ op: 'add' as const, entry })),
  fc.nat().map((pick) => ({ op: 'remove' as const, pick })),
  fc.tuple(fc.nat(), pathArb).map(([pick, path]) => ({ op: 'move' as const, pick, path })),
  fc.tuple(fc.nat(), fc.constantFrom('new', 'a')).map(([pick, tag]) => ({ op: 'tag' as const, pick, tag })),
);

/** Applies a step the way the planner does: unchanged entries keep their object, a changed one is a new object. */
function applyStep(entries: readonly RegistryEntry[], step: Step): RegistryEntry[] {
  if (step.op === 'add')
    return entries.some((entry) => entry.id === step.entry.id) ? [...entries] : [...entries, { ...step.entry }];
  if (entries.length === 0) return [...entries];
  const index = step.pick % entries.length;
  const target = entries[index]!;
  const next = [...entries];
  if (step.op === 'remove') next.splice(index, 1);
  else if (step.op === 'move') next[index] = { ...target, path: step.path };
  else next[index] = { ...target, tags: [...target.tags, step.tag] };
  return next;
}

function sortedCanonical(entries: readonly RegistryEntry[]): RegistryEntry[] {
  return entries.map(canonicalEntry).sort((a, b) => comparePaths(a.path, b.path) || (a.id < b.id ? -1 : 1));
}

describe('registry format 2', () => {
  it('round-trips: parse(serialize(entries)) is the canonical entries sorted by path, one entry per line', () => {
    fc.assert(
      fc.property(entriesArb, (entries) => {
        const text = serializeRegistry(entries);
        const read = readRegistry(text, FILE, ROOT);
        expect(read.version).toBe(2);
        expect(read.entries).toEqual(sortedCanonical(entries));
        const paths = read.entries.map((entry) => Buffer.from(entry.path, 'utf8'));
        for (let index = 1; index < paths.length; index++)
          expect(Buffer.compare(paths[index - 1]!, paths[index]!)).toBeLessThanOrEqual(0);
        const lines = text.split('\n');
        expect(lines[0]).toBe(REGISTRY_HEADER);
        expect(lines.at(-2)).toBe(REGISTRY_FOOTER);
        expect(lines.at(-1)).toBe('');
        expect(lines.length).toBe(entries.length + 3);
        expect(read.bodies).toHaveLength(entries.length);
        // Still one JSON document, and a second serialisation is byte-identical.
        expect(JSON.parse(text)).toEqual({ version: 2, assets: read.entries });
        expect(serializeRegistry(read.entries)).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('the line cache gives byte-identical text to a from-scratch serialisation after any sequence of changes', () => {
    fc.assert(
      fc.property(entriesArb, fc.array(stepArb, { maxLength: 25 }), fc.boolean(), (initial, steps, seedFromRead) => {
        const lines = new RegistryLines(FILE, ROOT);
        let entries: RegistryEntry[] = initial.map((entry) => ({ ...entry }));
        if (seedFromRead) {
          // As after a load: the reader's entries and the exact line texts it validated.
          const read = readRegistry(serializeRegistry(entries), FILE, ROOT);
          lines.seed(read);
          entries = read.entries;
        }
        for (const step of [...steps, { op: 'remove' as const, pick: 0 }]) {
          entries = applyStep(entries, step);
          const { text, canonical } = lines.serialize(entries);
          expect(text).toBe(serializeRegistry(entries));
          expect(canonical).toEqual(parseRegistry(text, FILE, ROOT));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("the line cache refuses exactly what the reader refuses, with the reader's message, and recovers after", () => {
    const good = (id: string, entryPath: string): RegistryEntry => ({
      id,
      path: entryPath,
      kind: 'image',
      settings: {},
      tags: [],
    });
    const a = good('a_00000000000000000000000001', 'assets/a.png');
    const b = good('a_00000000000000000000000002', 'assets/b.png');
    const lines = new RegistryLines(FILE, ROOT);
    lines.serialize([a, b]);
    const cases: RegistryEntry[][] = [
      [a, b, good('a_00000000000000000000000001', 'assets/c.png')], // an id held by a kept entry
      [
        a,
        b,
        good('a_00000000000000000000000003', 'assets/c.png'),
        good('a_00000000000000000000000003', 'assets/d.png'),
      ],
      [a, a, b], // the same object twice
      [a, b, good('a_00000000000000000000000003', 'assets/../../etc/passwd')],
      [a, b, good('a_00000000000000000000000003', 'assets/x\\y.png')],
      [
        a,
        b,
        {
          ...good('a_00000000000000000000000003', 'assets/c.png'),
          settings: JSON.parse('{"__proto__":1}') as RegistryEntry['settings'],
        },
      ],
    ];
    for (const entries of cases) {
      let full: unknown;
      try {
        parseRegistry(serializeRegistry(entries), FILE, ROOT);
      } catch (error) {
        full = error;
      }
      expect(full).toBeInstanceOf(PackerError);
      expect(() => lines.serialize(entries)).toThrow((full as PackerError).message);
    }
    // A refused serialisation changed nothing: the next valid change is still incremental and exact.
    const c = good('a_00000000000000000000000003', 'assets/c.png');
    expect(lines.serialize([a, c]).text).toBe(serializeRegistry([a, c]));
  });

  it('cached entries are frozen: editing one in place throws instead of leaving a stale line', () => {
    const entry: RegistryEntry = {
      id: 'a_00000000000000000000000001',
      path: 'assets/a.png',
      kind: 'image',
      settings: {},
      tags: [],
    };
    new RegistryLines(FILE, ROOT).serialize([entry]);
    expect(() => entry.tags.push('x')).toThrow(TypeError);
    expect(() => {
      (entry as { path: string }).path = 'assets/b.png';
    }).toThrow(TypeError);
  });

  it('reads format 1 (pretty, sorted by id) and any hand-formatted version 2 text as a whole', () => {
    const entries = [
      { id: 'a_00000000000000000000000002', path: 'assets/a.png', kind: 'image', settings: {}, tags: [] },
      {
        id: 'a_00000000000000000000000001',
        path: 'assets/b.png',
        kind: 'image',
        settings: { z: 1, a: 'x' },
        tags: ['b', 'a'],
      },
    ];
    const v1 =
      JSON.stringify({ version: 1, assets: [...entries].sort((x, y) => (x.id < y.id ? -1 : 1)) }, null, 2) + '\n';
    expect(readRegistry(v1, FILE, ROOT)).toEqual({
      version: 1,
      entries: [...entries].sort((x, y) => (x.id < y.id ? -1 : 1)),
    });
    const handFormatted = JSON.stringify({ version: 2, assets: entries }, null, 2);
    expect(readRegistry(handFormatted, FILE, ROOT).entries).toEqual(entries);
    expect(readRegistry(serializeRegistry(entries).replaceAll('\n', '\r\n'), FILE, ROOT).entries).toEqual(
      sortedCanonical(entries),
    );
  });
});
