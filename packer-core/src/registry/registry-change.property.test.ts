import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { PackerError } from '../contract/errors.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { rebuildRegistry, registryDigest } from '../commit/registry-change.js';
import { makeTempDir } from '../testing/temp-dirs.js';
import { entryBody, parseRegistry, serializeRegistry } from './registry-codec.js';
import { compareEntries } from './registry-layout.js';
import { RegistryLines } from './registry-lines.js';
import { RegistryFileStore as RegistryStore } from './registry-file-store.js';
import { netRegistryChange, REGISTRY_FILE } from './registry-store.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const idArb = fc
  .string({ unit: fc.constantFrom(...CROCKFORD), minLength: 26, maxLength: 26 })
  .map((tail) => `a_${tail}`);
const nameArb = fc.string({
  unit: fc.constantFrom('a', 'b', 'Z', '-', 'é', '\uFF21', '\u{1F600}'),
  minLength: 1,
  maxLength: 5,
});
const pathArb = fc.array(nameArb, { minLength: 1, maxLength: 3 }).map((parts) => `assets/${parts.join('/')}`);
const entryArb = fc.record({
  id: idArb,
  path: pathArb,
  kind: fc.constantFrom('image', 'data', 'text'),
  settings: fc.dictionary(fc.constantFrom('b', 'a', 'maxSize'), fc.oneof(fc.boolean(), fc.integer())),
  tags: fc.array(fc.constantFrom('ui', 'hero', 'b', 'a'), { maxLength: 3 }),
}) as fc.Arbitrary<RegistryEntry>;

/** One commit's registry change, or something happening to the file between commits. */
type Step =
  | { op: 'add'; entry: RegistryEntry }
  | { op: 'remove'; pick: number }
  | { op: 'move'; pick: number; path: string }
  | { op: 'tag'; pick: number; tag: string }
  | { op: 'many'; picks: number[] }
  | { op: 'not-written' }
  | { op: 'outside' }
  | { op: 'deleted' };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: entryArb.map((entry) => ({ op: 'add' as const, entry })) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ op: 'remove' as const, pick })) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(), pathArb).map(([pick, to]) => ({ op: 'move' as const, pick, path: to })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.nat(), fc.constantFrom('new', 'a'))
      .map(([pick, tag]) => ({ op: 'tag' as const, pick, tag })),
  },
  {
    weight: 1,
    arbitrary: fc.array(fc.nat(), { minLength: 2, maxLength: 5 }).map((picks) => ({ op: 'many' as const, picks })),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'not-written' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'outside' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'deleted' as const }) },
);

/** The net change of a step as the planner gives it: unchanged entries keep their objects, changed ones are new. */
function netOf(entries: readonly RegistryEntry[], step: Step): Map<string, RegistryEntry | null> {
  if (step.op === 'add')
    return entries.some((entry) => entry.id === step.entry.id)
      ? new Map()
      : netRegistryChange([{ op: 'add', entry: { ...step.entry } }]);
  if (entries.length === 0) return new Map();
  if (step.op === 'many') return new Map(step.picks.map((pick) => [entries[pick % entries.length]!.id, null]));
  if (step.op !== 'remove' && step.op !== 'move' && step.op !== 'tag') return new Map();
  const target = entries[step.pick % entries.length]!;
  if (step.op === 'remove') return netRegistryChange([{ op: 'remove', entry: target }]);
  const after = step.op === 'move' ? { ...target, path: step.path } : { ...target, tags: [...target.tags, step.tag] };
  return netRegistryChange([{ op: 'update', before: target, after }]);
}

function applied(entries: readonly RegistryEntry[], net: ReadonlyMap<string, RegistryEntry | null>): RegistryEntry[] {
  return [...entries.filter((entry) => !net.has(entry.id)), ...[...net.values()].filter((entry) => entry !== null)];
}

describe('RegistryFileStore.stageChange: a registry change at the cost of what it touches', () => {
  it('gives the from-scratch text, the entries in file order, and a journal change that rebuilds both sides by digest', () => {
    const root = makeTempDir('registry-change-');
    const file = path.join(root, REGISTRY_FILE);
    const quick = vi.spyOn(RegistryLines.prototype, 'applyChange');
    fc.assert(
      fc.property(
        fc.uniqueArray(entryArb, { selector: (entry) => entry.id, maxLength: 30 }),
        fc.array(stepArb, { maxLength: 20 }),
        (initial, steps) => {
          rmSync(file, { force: true });
          if (initial.length > 0) writeFileSync(file, serializeRegistry(initial));
          const store = new RegistryStore(root);
          let entries = (store.load() as { entries: RegistryEntry[] }).entries;
          for (const step of steps) {
            if (step.op === 'outside' || step.op === 'deleted') {
              // git or an editor replaced (or removed) the file; the store was not told and must notice by itself.
              if (step.op === 'outside')
                writeFileSync(file, JSON.stringify({ version: 2, assets: entries.slice(1) }, null, 2));
              else rmSync(file, { force: true });
              entries = (store.load() as { entries: RegistryEntry[] }).entries;
              continue;
            }
            const net = netOf(entries, step);
            const expected = applied(entries, net);
            const before = store.readText();
            const staged = store.stageChange(entries, net);
            expect(staged.text).toBe(serializeRegistry(expected));
            expect(staged.entries.map(entryBody).sort()).toEqual(expected.map(entryBody).sort());
            for (let index = 1; index < staged.entries.length; index++)
              expect(compareEntries(staged.entries[index - 1]!, staged.entries[index]!)).toBeLessThan(0);
            // The journal's record: digests of both sides, and a change that rebuilds each from the other.
            const { change } = staged;
            expect(change.after).toBe(registryDigest(staged.text));
            expect(change.before).toBe(before === null ? null : registryDigest(before));
            const beforeEntries = before === null ? [] : parseRegistry(before, REGISTRY_FILE, root);
            expect(rebuildRegistry(beforeEntries, change.removed, change.added)).toBe(staged.text);
            if (before !== null)
              expect(
                change.beforeText ??
                  rebuildRegistry(parseRegistry(staged.text, REGISTRY_FILE, root), change.added, change.removed),
              ).toBe(before);
            if (step.op === 'not-written') {
              // The commit failed before the registry write: the file keeps the old text, the workspace reloads.
              entries = (store.load() as { entries: RegistryEntry[] }).entries;
              continue;
            }
            store.writeText(staged.text);
            entries = staged.entries;
          }
        },
      ),
      { numRuns: 120 },
    );
    // Most changes went the quick way (the others are the cases it hands to the whole-list way).
    const results = quick.mock.results.map((result) => result.value as unknown);
    expect(results.filter((value) => value !== undefined).length).toBeGreaterThan(results.length / 2);
    quick.mockRestore();
  });

  it("refuses a line the reader would refuse, with the reader's message, writes nothing, and stays exact after", () => {
    const root = makeTempDir('registry-change-');
    const good = (id: string, entryPath: string): RegistryEntry => ({
      id,
      path: entryPath,
      kind: 'image',
      settings: {},
      tags: [],
    });
    const a = good('a_00000000000000000000000001', 'assets/a.png');
    writeFileSync(path.join(root, REGISTRY_FILE), serializeRegistry([a]));
    const store = new RegistryStore(root);
    const { entries } = store.load() as { entries: RegistryEntry[] };
    const text = store.readText();
    const bad = good('a_00000000000000000000000002', 'assets/../../etc/passwd');
    let full: unknown;
    try {
      parseRegistry(serializeRegistry([a, bad]), REGISTRY_FILE, root);
    } catch (error) {
      full = error;
    }
    expect(full).toBeInstanceOf(PackerError);
    expect(() => store.stageChange(entries, new Map([[bad.id, bad]]))).toThrow(
      (full as PackerError).message.replace(/^.*?: /, ''),
    );
    expect(store.readText()).toBe(text);
    const c = good('a_00000000000000000000000003', 'assets/c.png');
    const staged = store.stageChange(entries, new Map([[c.id, c]]));
    expect(staged.text).toBe(serializeRegistry([a, c]));
    expect(staged.change).toMatchObject({ removed: [], added: [c] });
  });
});
