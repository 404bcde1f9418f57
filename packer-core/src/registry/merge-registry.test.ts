import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPackerError } from '../contract/errors.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { canonicalEntry, parseRegistry, serializeRegistry } from './registry-codec.js';
import { compareEntries } from './registry-layout.js';
import { mergeRegistry } from './merge-registry.js';
import { mergeRegistryTexts } from './merge-registry-text.js';
import { conflictMarkersError } from './conflict-markers.js';

const ROOT = '/project';
const FILE = 'packer.registry.json';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const id = (n: number): string => `a_${String(n).padStart(26, '0')}`;
const asset = (n: number, path: string, extra: Partial<RegistryEntry> = {}): RegistryEntry => ({
  id: id(n),
  path,
  kind: 'image',
  settings: {},
  tags: [],
  ...extra,
});
const texts = (base: RegistryEntry[], ours: RegistryEntry[], theirs: RegistryEntry[]) =>
  mergeRegistryTexts(serializeRegistry(base), serializeRegistry(ours), serializeRegistry(theirs), {
    file: FILE,
    projectRoot: ROOT,
  });

describe('mergeRegistry: three-way by asset id', () => {
  const base = [
    asset(1, 'assets/a.png'),
    asset(2, 'assets/b.png', { settings: { quality: 80 } }),
    asset(3, 'assets/c.png', { tags: ['ui'] }),
  ];

  it('keeps additions from both sides, even at one spot in path order', () => {
    const merge = mergeRegistry(base, [...base, asset(10, 'assets/x.png')], [...base, asset(11, 'assets/y.png')]);
    expect(merge.conflicts).toEqual([]);
    expect(merge.entries.map((entry) => entry.path)).toEqual([
      'assets/a.png',
      'assets/b.png',
      'assets/c.png',
      'assets/x.png',
      'assets/y.png',
    ]);
  });

  it('takes a one-sided move, and a setting changed on one side with a tag added on the other', () => {
    const ours = [asset(1, 'assets/moved/a.png'), base[1]!, { ...base[2]!, tags: ['hero', 'ui'] }];
    const theirs = [
      base[0]!,
      { ...base[1]!, settings: { quality: 95 } },
      { ...base[2]!, settings: { premultiply: true } },
    ];
    const merge = mergeRegistry(base, ours, theirs);
    expect(merge.conflicts).toEqual([]);
    expect(merge.entries).toEqual([
      asset(2, 'assets/b.png', { settings: { quality: 95 } }),
      asset(3, 'assets/c.png', { settings: { premultiply: true }, tags: ['hero', 'ui'] }),
      asset(1, 'assets/moved/a.png'),
    ]);
  });

  it('tags merge as sets: one side removes a tag while the other adds another', () => {
    const merge = mergeRegistry(
      base,
      [base[0]!, base[1]!, { ...base[2]!, tags: [] }],
      [base[0]!, base[1]!, { ...base[2]!, tags: ['new', 'ui'] }],
    );
    expect(merge.entries.find((entry) => entry.id === id(3))?.tags).toEqual(['new']);
  });

  it('a removal on one side and no change on the other removes; a removal against a change keeps the change with a warning', () => {
    const removed = mergeRegistry(base, [base[0]!, base[2]!], base);
    expect(removed.entries.map((entry) => entry.id)).toEqual([id(1), id(3)]);
    expect(removed.warnings).toEqual([]);
    const changed = mergeRegistry(
      base,
      [base[0]!, base[2]!],
      [base[0]!, { ...base[1]!, path: 'assets/b2.png' }, base[2]!],
      { ours: 'main', theirs: 'feature' },
    );
    expect(changed.entries.map((entry) => entry.path)).toEqual(['assets/a.png', 'assets/b2.png', 'assets/c.png']);
    expect(changed.warnings).toEqual([
      expect.objectContaining({
        assetId: id(2),
        message: expect.stringMatching(/removed by main and changed by feature.*packer rm a_0+2/),
      }),
    ]);
  });

  // A shard of a sharded registry is merged on its own: the other side's removal may be a move into another shard.
  it('in a shard file, a removal against a change is a conflict with the removing side empty, its fix the change as commands', () => {
    const changed = { ...base[1]!, settings: { quality: 60, 'max size': 'a b' }, tags: ['shop'] };
    const theirsRemoved = mergeRegistry(base, [base[0]!, changed, base[2]!], [base[0]!, base[2]!], undefined, {
      removalMayBeMove: true,
    });
    expect(theirsRemoved.entries.map((entry) => entry.id)).toEqual([id(1), id(3)]);
    expect(theirsRemoved.warnings).toEqual([]);
    expect(theirsRemoved.conflicts).toEqual([
      {
        id: id(2),
        fields: ['settings.max size', 'settings.quality', 'tags'],
        ours: changed,
        removedBy: 'theirs',
        message: `Asset ${id(2)} (assets/b.png) was removed here by theirs and changed by ours (max size=a b, quality=60, tag shop added): in a sharded registry the removal may be a move to another folder's shard file, where the asset has its other line.`,
        hint: `If theirs moved it, keep the empty side, then after the merge run \`packer set ${id(2)} 'max size=a b' quality=60 --tag shop --yes\` so the change is not lost; if theirs removed it, keep the empty side; to keep it here, keep the line.`,
      },
    ]);
    const oursRemoved = mergeRegistry(base, [base[0]!, base[2]!], [base[0]!, changed, base[2]!], undefined, {
      removalMayBeMove: true,
    });
    expect(oursRemoved.conflicts).toEqual([expect.objectContaining({ id: id(2), theirs: changed, removedBy: 'ours' })]);
    expect(oursRemoved.conflicts[0]).not.toHaveProperty('ours');
    // Unchanged on the other side: the removal (or move) simply wins, as in a single file.
    expect(mergeRegistry(base, [base[0]!, base[2]!], base, undefined, { removalMayBeMove: true })).toMatchObject({
      entries: [base[0], base[2]],
      conflicts: [],
    });
  });

  it('the same asset moved to two places is a conflict; every other change still merges', () => {
    const merge = mergeRegistry(
      base,
      [asset(1, 'assets/one/a.png'), { ...base[1]!, tags: ['x'] }, base[2]!],
      [asset(1, 'assets/two/a.png'), base[1]!, base[2]!, asset(12, 'assets/new.png')],
      { ours: 'HEAD', theirs: 'art' },
    );
    expect(merge.entries.map((entry) => entry.id)).toEqual([id(2), id(3), id(12)]);
    expect(merge.entries[0]!.tags).toEqual(['x']);
    expect(merge.conflicts).toEqual([
      expect.objectContaining({
        id: id(1),
        fields: ['path'],
        ours: asset(1, 'assets/one/a.png'),
        theirs: asset(1, 'assets/two/a.png'),
        message: `Asset ${id(1)} was moved to two places: assets/one/a.png (HEAD) and assets/two/a.png (art).`,
      }),
    ]);
  });

  it("one setting changed to two values is a conflict carrying each side's value and both sides' other changes", () => {
    const merge = mergeRegistry(
      base,
      [base[0]!, { ...base[1]!, settings: { quality: 90, dither: true } }, base[2]!],
      [base[0]!, { ...base[1]!, path: 'assets/b/b.png', settings: { quality: 70 } }, base[2]!],
    );
    expect(merge.conflicts).toHaveLength(1);
    expect(merge.conflicts[0]!.fields).toEqual(['settings.quality']);
    expect(merge.conflicts[0]!.ours).toEqual(asset(2, 'assets/b/b.png', { settings: { dither: true, quality: 90 } }));
    expect(merge.conflicts[0]!.theirs).toEqual(asset(2, 'assets/b/b.png', { settings: { dither: true, quality: 70 } }));
  });

  it('two ids on one path are both kept, with one DUPLICATE_PATH naming both and the fix', () => {
    const merge = mergeRegistry(base, [...base, asset(20, 'assets/same.png')], [...base, asset(21, 'assets/same.png')]);
    expect(merge.conflicts).toEqual([]);
    expect(merge.entries.filter((entry) => entry.path === 'assets/same.png')).toHaveLength(2);
    expect(merge.diagnostics).toEqual([
      expect.objectContaining({
        code: 'DUPLICATE_PATH',
        severity: 'blocker',
        path: 'assets/same.png',
        message: expect.stringContaining(`${id(20)}, ${id(21)}`),
        hint: `Keep one: \`packer rm ${id(21)}\` unregisters the others (the file stays).`,
      }),
    ]);
  });

  it('one id added on both sides (no base) merges when equal and conflicts when the paths differ', () => {
    expect(
      mergeRegistry([], [asset(5, 'assets/p.png', { tags: ['a'] })], [asset(5, 'assets/p.png', { tags: ['b'] })])
        .entries,
    ).toEqual([asset(5, 'assets/p.png', { tags: ['a', 'b'] })]);
    expect(
      mergeRegistry([], [asset(5, 'assets/p.png')], [asset(5, 'assets/q.png')]).conflicts.map(
        (conflict) => conflict.fields,
      ),
    ).toEqual([['path']]);
  });
});

describe('mergeRegistryTexts: what the driver leaves in the work tree', () => {
  const base = [asset(1, 'assets/a.png'), asset(2, 'assets/m.png'), asset(3, 'assets/z.png')];

  it('a clean merge is format 2 text the reader accepts', () => {
    const result = texts(
      base,
      [...base, asset(4, 'assets/b.png')],
      [asset(1, 'assets/a.png'), asset(2, 'assets/n.png'), asset(3, 'assets/z.png')],
    );
    expect(result.clean).toBe(true);
    expect(result.text).toBe(
      serializeRegistry([
        asset(1, 'assets/a.png'),
        asset(4, 'assets/b.png'),
        asset(2, 'assets/n.png'),
        asset(3, 'assets/z.png'),
      ]),
    );
  });

  it("a true conflict wraps only the conflicting asset's lines in markers; either side of the block reads back", () => {
    const result = texts(
      base,
      [base[0]!, asset(2, 'assets/ours.png'), base[2]!, asset(4, 'assets/b.png')],
      [base[0]!, asset(2, 'assets/theirs.png'), base[2]!],
    );
    expect(result.clean).toBe(false);
    const lines = result.text.split('\n');
    expect(lines).toEqual([
      '{"version":2,"assets":[',
      ` ${JSON.stringify(base[0])}`,
      `,${JSON.stringify(asset(4, 'assets/b.png'))}`,
      '<<<<<<< ours',
      `,${JSON.stringify(asset(2, 'assets/ours.png'))}`,
      '=======',
      `,${JSON.stringify(asset(2, 'assets/theirs.png'))}`,
      '>>>>>>> theirs',
      `,${JSON.stringify(base[2])}`,
      ']}',
      '',
    ]);
    // The reader refuses the conflicted text, saying so.
    const refusal = conflictMarkersError(result.text, FILE);
    expect(refusal?.code).toBe('INVALID_REGISTRY');
    expect(refusal?.data).toMatchObject({ line: 4, hint: expect.stringContaining('packer check') });
    // Resolving by keeping one side gives a registry the reader accepts.
    const keepTheirs = result.text.replace(/^<<<<<<< ours\n.*\n=======\n(.*)\n>>>>>>> theirs\n/m, '$1\n');
    expect(parseRegistry(keepTheirs, FILE, ROOT).find((entry) => entry.id === id(2))?.path).toBe('assets/theirs.png');
  });

  it("in a shard file (git's %P under packer.registry/), a removal against a change leaves an empty side; either side reads back", () => {
    const changed = { ...base[1]!, tags: ['shop'] };
    const result = mergeRegistryTexts(
      serializeRegistry(base),
      serializeRegistry([base[0]!, base[2]!]),
      serializeRegistry([base[0]!, changed, base[2]!]),
      { file: 'game/packer.registry/f.json', projectRoot: ROOT },
    );
    expect(result.clean).toBe(false);
    expect(result.text.split('\n')).toEqual([
      '{"version":2,"assets":[',
      ` ${JSON.stringify(base[0])}`,
      '<<<<<<< ours',
      '=======',
      `,${JSON.stringify(changed)}`,
      '>>>>>>> theirs',
      `,${JSON.stringify(base[2])}`,
      ']}',
      '',
    ]);
    const keepOurs = result.text.replace(/^<<<<<<< ours\n=======\n.*\n>>>>>>> theirs\n/m, '');
    expect(parseRegistry(keepOurs, FILE, ROOT).map((entry) => entry.id)).toEqual([id(1), id(3)]);
    const keepTheirs = result.text.replace(/^<<<<<<< ours\n=======\n(.*)\n>>>>>>> theirs\n/m, '$1\n');
    expect(parseRegistry(keepTheirs, FILE, ROOT).find((entry) => entry.id === id(2))?.tags).toEqual(['shop']);
    // The single-file registry keeps the change, with a warning, as before: a move there never removes a line.
    expect(texts(base, [base[0]!, base[2]!], [base[0]!, changed, base[2]!])).toMatchObject({
      clean: true,
      warnings: [expect.objectContaining({ assetId: id(2) })],
    });
  });

  it("a conflict on the first entry keeps the first line's separator on both sides", () => {
    const result = texts(
      base,
      [asset(1, 'assets/0.png'), base[1]!, base[2]!],
      [asset(1, 'assets/1.png'), base[1]!, base[2]!],
    );
    const keepOurs = result.text.replace(/^<<<<<<< ours\n(.*)\n=======\n.*\n>>>>>>> theirs\n/m, '$1\n');
    expect(result.text.split('\n')[2]).toBe(` ${JSON.stringify(asset(1, 'assets/0.png'))}`);
    expect(parseRegistry(keepOurs, FILE, ROOT)).toHaveLength(3);
  });

  it('reads format 1 sides and an empty base (a registry both sides added), and writes format 2', () => {
    const formatOne = JSON.stringify({ version: 1, assets: base }, null, 2) + '\n';
    const result = mergeRegistryTexts('', formatOne, serializeRegistry([...base, asset(9, 'assets/q.png')]), {
      file: FILE,
      projectRoot: ROOT,
    });
    expect(result.clean).toBe(true);
    expect(parseRegistry(result.text, FILE, ROOT).map((entry) => entry.id)).toEqual([id(1), id(2), id(9), id(3)]);
  });

  it('a side the reader refuses (already conflicted) cannot be merged by id: the whole file is marked, never guessed', () => {
    const conflicted = texts(
      base,
      [asset(1, 'assets/0.png'), base[1]!, base[2]!],
      [asset(1, 'assets/1.png'), base[1]!, base[2]!],
    ).text;
    const result = mergeRegistryTexts(serializeRegistry(base), conflicted, serializeRegistry(base), {
      file: FILE,
      projectRoot: ROOT,
    });
    expect(result.clean).toBe(false);
    expect(result.unreadable?.side).toBe('ours');
    expect(result.text.startsWith('<<<<<<< ours\n')).toBe(true);
    expect(conflictMarkersError(result.text, FILE)).toBeDefined();
  });
});

// Property: registries derived from one base by random edits on each side.
const idArb = fc
  .string({ unit: fc.constantFrom(...CROCKFORD), minLength: 26, maxLength: 26 })
  .map((tail) => `a_${tail}`);
const pathArb = fc
  .tuple(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('x', 'y', 'z', 'w'))
  .map(([folder, name]) => `assets/${folder}/${name}.png`);
const entryArb = fc
  .record({
    id: idArb,
    path: pathArb,
    kind: fc.constantFrom('image', 'data'),
    settings: fc.dictionary(
      fc.constantFrom('quality', 'dither'),
      fc.oneof(fc.boolean(), fc.integer({ min: 0, max: 3 })),
    ),
    tags: fc.uniqueArray(fc.constantFrom('ui', 'hero'), { maxLength: 2 }),
  })
  .map((entry) => canonicalEntry(entry as RegistryEntry));
const baseArb = fc.uniqueArray(entryArb, { selector: (entry) => entry.id, maxLength: 12 });
type Edit =
  | { op: 'keep' }
  | { op: 'remove' }
  | { op: 'move'; path: string }
  | { op: 'set'; key: string; value: number }
  | { op: 'tag'; tag: string }
  | { op: 'kind'; kind: string };
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.constant({ op: 'keep' as const }),
  fc.constant({ op: 'remove' as const }),
  pathArb.map((path) => ({ op: 'move' as const, path })),
  fc
    .tuple(fc.constantFrom('quality', 'dither'), fc.integer({ min: 0, max: 3 }))
    .map(([key, value]) => ({ op: 'set' as const, key, value })),
  fc.constantFrom('ui', 'hero', 'new').map((tag) => ({ op: 'tag' as const, tag })),
  fc.constantFrom('image', 'text').map((kind) => ({ op: 'kind' as const, kind })),
);
function edit(entries: RegistryEntry[], edits: Edit[], added: RegistryEntry[]): RegistryEntry[] {
  const out: RegistryEntry[] = [];
  entries.forEach((entry, index) => {
    const step = edits[index % Math.max(edits.length, 1)] ?? { op: 'keep' };
    if (step.op === 'remove') return;
    if (step.op === 'move') out.push({ ...entry, path: step.path });
    else if (step.op === 'set')
      out.push(canonicalEntry({ ...entry, settings: { ...entry.settings, [step.key]: step.value } }));
    else if (step.op === 'tag')
      out.push(
        canonicalEntry({
          ...entry,
          tags: entry.tags.includes(step.tag)
            ? entry.tags.filter((tag) => tag !== step.tag)
            : [...entry.tags, step.tag],
        }),
      );
    else if (step.op === 'kind') out.push({ ...entry, kind: step.kind });
    else out.push(entry);
  });
  const ids = new Set(entries.map((entry) => entry.id));
  return [...out, ...added.filter((entry) => !ids.has(entry.id))];
}
const scenarioArb = fc
  .record({
    base: baseArb,
    oursEdits: fc.array(editArb, { maxLength: 12 }),
    theirsEdits: fc.array(editArb, { maxLength: 12 }),
    oursAdded: fc.array(entryArb, { maxLength: 4 }),
    theirsAdded: fc.array(entryArb, { maxLength: 4 }),
  })
  .map(({ base, oursEdits, theirsEdits, oursAdded, theirsAdded }) => {
    const theirsIds = new Set(theirsAdded.map((entry) => entry.id));
    return {
      base,
      ours: edit(
        base,
        oursEdits,
        oursAdded.filter((entry) => !theirsIds.has(entry.id)),
      ),
      theirs: edit(base, theirsEdits, theirsAdded),
    };
  });
const sorted = (entries: readonly RegistryEntry[]): RegistryEntry[] => entries.map(canonicalEntry).sort(compareEntries);

describe('mergeRegistry properties', () => {
  it('merge(O, A, O) = A and merge(O, O, B) = B, with no conflict', () => {
    fc.assert(
      fc.property(scenarioArb, ({ base, ours, theirs }) => {
        const left = mergeRegistry(base, ours, base);
        expect(left.conflicts).toEqual([]);
        expect(left.entries).toEqual(sorted(ours));
        const right = mergeRegistry(base, base, theirs);
        expect(right.conflicts).toEqual([]);
        expect(right.entries).toEqual(sorted(theirs));
        expect(mergeRegistry(base, ours, ours).entries).toEqual(sorted(ours));
      }),
      { numRuns: 300 },
    );
  });

  it('is symmetric up to the sides of each conflict', () => {
    fc.assert(
      fc.property(scenarioArb, ({ base, ours, theirs }) => {
        const ab = mergeRegistry(base, ours, theirs);
        const ba = mergeRegistry(base, theirs, ours);
        expect(ba.entries).toEqual(ab.entries);
        expect(ba.conflicts.map((conflict) => [conflict.id, conflict.fields, conflict.theirs, conflict.ours])).toEqual(
          ab.conflicts.map((conflict) => [conflict.id, conflict.fields, conflict.ours, conflict.theirs]),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('without a conflict the text always parses with the reader; with one the reader refuses it and each side resolves to a valid registry', () => {
    fc.assert(
      fc.property(scenarioArb, ({ base, ours, theirs }) => {
        const result = texts(base, ours, theirs);
        if (result.clean) {
          expect(parseRegistry(result.text, FILE, ROOT)).toEqual(mergeRegistry(base, ours, theirs).entries);
          return;
        }
        expect(result.conflicts.length).toBeGreaterThan(0);
        expect(conflictMarkersError(result.text, FILE)).toBeDefined();
        for (const keep of [1, 2]) {
          const resolved = result.text.replace(/^<<<<<<< ours\n(.*)\n=======\n(.*)\n>>>>>>> theirs\n/gm, `$${keep}\n`);
          const merged = mergeRegistry(base, ours, theirs);
          expect(sorted(parseRegistry(resolved, FILE, ROOT))).toEqual(
            sorted([
              ...merged.entries,
              ...merged.conflicts.map((conflict) => (keep === 1 ? conflict.ours : conflict.theirs)),
            ]),
          );
        }
        try {
          parseRegistry(result.text, FILE, ROOT);
          expect.unreachable('the reader accepted a conflicted registry');
        } catch (error) {
          expect(isPackerError(error, 'INVALID_REGISTRY')).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
