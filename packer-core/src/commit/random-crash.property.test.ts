import { existsSync, lstatSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PackerError } from '../contract/errors.js';
import type { MutationInput } from '../contract/mutation-schema.js';
import { RegistryFile } from '../contract/registry-schema.js';
import { parseRegistry } from '../registry/registry-codec.js';
import { readProjectFiles, readRegistryFiles, readRegistryText } from '../testing/project-state.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { SimulatedCrash, type CommitPoint } from './commit-journal.js';

const FILE_POOL = [
  'assets/a.png',
  'assets/b.txt',
  'assets/c.json',
  'assets/d/e.png',
  'assets/d/f.txt',
  'assets/d/g/h.json',
];
// References and destinations: existing files and folders, plus free names (some in new folders).
const PATH_POOL = [
  ...FILE_POOL,
  'assets/d',
  'assets/d/g',
  'assets/x.png',
  'assets/y/z.txt',
  'assets/y',
  'assets/B.txt',
];

const projectArb = fc
  .uniqueArray(fc.constantFrom(...FILE_POOL), { minLength: 1, maxLength: FILE_POOL.length })
  // Few distinct contents, so equal files (same size and digest) are common.
  .chain((paths) =>
    fc.tuple(
      fc.constant(paths),
      fc.array(fc.constantFrom('A', 'BB', 'A', 'png!'), { minLength: paths.length, maxLength: paths.length }),
    ),
  )
  .map(([paths, contents]) => Object.fromEntries(paths.map((file, index) => [file, contents[index]!])));

// Free destinations: new names, new folders, a case-only variant of b.txt.
const DESTINATIONS = [
  'assets/x.png',
  'assets/y/z.txt',
  'assets/y',
  'assets/B.txt',
  'assets/d/b.txt',
  'assets/n',
  'assets/d/g/q.json',
];

/**
 * A mutation template: `pick` chooses among what exists when the step runs (registered assets, their folders,
 * untracked files), so most steps do something instead of naming nothing; `raw` ones use any pool path.
 */
type Template =
  | { type: 'register'; pick: number; all: boolean; raw?: string }
  | { type: 'move'; pick: number; folder: boolean; to: string; raw?: string }
  | { type: 'remove'; pick: number; folder: boolean; deleteFiles: boolean; raw?: string }
  | { type: 'update'; pick: number; tag: string; premultiply: boolean; raw?: string };

const pickArb = fc.nat({ max: 20 });
// Mostly undefined: one step in six names an arbitrary pool path instead (often blocked, which is tested too).
const rawArb = fc.oneof(
  { weight: 5, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom(...PATH_POOL, ...DESTINATIONS) },
);
const templateArb: fc.Arbitrary<Template> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record(
      { type: fc.constant('register' as const), pick: pickArb, all: fc.boolean(), raw: rawArb },
      { requiredKeys: ['type', 'pick', 'all'] },
    ),
  },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        type: fc.constant('move' as const),
        pick: pickArb,
        folder: fc.boolean(),
        to: fc.constantFrom(...DESTINATIONS, ...DESTINATIONS, ...PATH_POOL),
        raw: rawArb,
      },
      { requiredKeys: ['type', 'pick', 'folder', 'to'] },
    ),
  },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        type: fc.constant('remove' as const),
        pick: pickArb,
        folder: fc.boolean(),
        deleteFiles: fc.boolean(),
        raw: rawArb,
      },
      { requiredKeys: ['type', 'pick', 'folder', 'deleteFiles'] },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        type: fc.constant('update' as const),
        pick: pickArb,
        tag: fc.constantFrom('x', 'y'),
        premultiply: fc.boolean(),
        raw: rawArb,
      },
      { requiredKeys: ['type', 'pick', 'tag', 'premultiply'] },
    ),
  },
);

function resolveTemplate(template: Template, ws: Workspace): MutationInput {
  const registered = ws.snapshot.assets.map((asset) => asset.path).sort();
  const untracked = ws.snapshot.untracked.map((file) => file.path).sort();
  const choose = (list: string[], folder = false): string => {
    const chosen = list.length > 0 ? list[template.pick % list.length]! : PATH_POOL[template.pick % PATH_POOL.length]!;
    return folder && chosen.split('/').length > 2 ? path.posix.dirname(chosen) : chosen;
  };
  switch (template.type) {
    case 'register':
      return {
        type: 'register',
        paths: [template.raw ?? (template.all ? 'assets' : choose(untracked))],
        tags: ['new'],
      };
    case 'move':
      return { type: 'move', from: template.raw ?? choose(registered, template.folder), to: template.to };
    case 'remove':
      return {
        type: 'remove',
        targets: [template.raw ?? choose(registered, template.folder)],
        deleteFiles: template.deleteFiles,
      };
    case 'update': {
      const target = template.raw ?? choose(registered);
      return {
        type: 'update',
        target,
        addTags: [template.tag],
        settings: target.endsWith('.png') ? { premultiply: template.premultiply } : {},
      };
    }
  }
}

// Crash at the n-th commit point the operation passes (if it passes that many), or not at all.
const stepArb = fc.record({ template: templateArb, crashAt: fc.option(fc.nat({ max: 7 }), { nil: undefined }) });

/** Invariants after every step: the registry validates and agrees with disk, nothing of a commit is left, no id comes
 * back. */
function checkInvariants(root: string, ws: Workspace, everSeen: Set<string>, removed: Set<string>): void {
  expect(existsSync(path.join(root, '.packer/journal.json'))).toBe(false);
  expect(existsSync(path.join(root, '.packer/trash'))).toBe(false);
  // Every registry file (one, or the shards) validates; together they hold each id once.
  const entries = Object.entries(readRegistryFiles(root)).flatMap(([name, text]) => {
    RegistryFile.parse(JSON.parse(text));
    return parseRegistry(text, name, root);
  });
  expect(new Set(entries.map((entry) => entry.id)).size).toBe(entries.length);
  expect(ws.snapshot.registryState).toBe('ok');
  for (const entry of entries) expect(lstatSync(path.join(root, entry.path)).isFile()).toBe(true);
  // Only the packer changes files here, so registry and disk always agree.
  expect(ws.snapshot.divergence.filter((entry) => entry.type !== 'untracked')).toEqual([]);
  expect(ws.snapshot.diagnostics.filter((item) => item.severity === 'blocker')).toEqual([]);
  expect(ws.snapshot.assets.map((asset) => `${asset.id} ${asset.path}`).sort()).toEqual(
    entries.map((entry) => `${entry.id} ${entry.path}`).sort(),
  );

  const ids = new Set(entries.map((entry) => entry.id));
  for (const id of ids) expect(removed.has(id)).toBe(false);
  for (const id of everSeen) if (!ids.has(id)) removed.add(id);
  for (const id of ids) everSeen.add(id);
}

describe('random mutations with random crashes', () => {
  it('never leave a mix: registry valid and in agreement with disk, no journal, no reused id', async () => {
    // How often each outcome happened, so the property cannot pass by refusing everything.
    const seen = { applied: 0, blocked: 0, rolledBack: 0, rolledForward: 0, moves: 0, deletes: 0 };
    await fc.assert(
      fc.asyncProperty(
        projectArb,
        fc.boolean(),
        // One registry file, or 16 shards (a move across folders then rewrites two shards in one commit).
        fc.constantFrom(1 as const, 16 as const),
        fc.array(stepArb, { minLength: 1, maxLength: 8 }),
        fc.context(),
        async (files, registered, shards, steps, ctx) => {
          const root = makeTempProject(files, { ...TEST_CONFIG, registry: { shards } });
          if (registered) {
            const first = await Workspace.open(root);
            await first.apply({ type: 'register', paths: ['assets'] });
            await first.close();
          }
          let crashAt: number | undefined;
          let passed: CommitPoint[] = [];
          const options = {
            commitHook: (point: CommitPoint) => {
              passed.push(point);
              if (passed.length - 1 === crashAt) throw new SimulatedCrash(point);
            },
          };
          let ws = await Workspace.open(root, options);
          const everSeen = new Set<string>();
          const removed = new Set<string>();
          checkInvariants(root, ws, everSeen, removed);
          for (const step of steps) {
            const mutation = resolveTemplate(step.template, ws);
            ctx.log(`${JSON.stringify(mutation)} crashAt=${String(step.crashAt)}`);
            const registryBefore = readRegistryText(root);
            const filesBefore = readProjectFiles(root);
            // What the plan deletes is all that may leave the disk: no file is ever overwritten or lost.
            const deleted = ws
              .preview(mutation)
              .filesystemMutations.flatMap((change) => (change.op === 'delete' ? [change.path] : []));
            const contentsAfterCommit = Object.entries(filesBefore)
              .filter(([file]) => !deleted.includes(file))
              .map(([, bytes]) => bytes)
              .sort();
            const contents = (): string[] => Object.values(readProjectFiles(root)).sort();
            crashAt = step.crashAt;
            passed = [];
            const outcome = await ws.apply(mutation).then(
              () => 'applied' as const,
              (error: unknown) => error,
            );
            if (outcome instanceof SimulatedCrash) {
              seen[['journal-committed', 'trash-removed'].includes(outcome.point) ? 'rolledForward' : 'rolledBack']++;
              crashAt = undefined;
              ws = await Workspace.open(root, options);
              if (!['journal-committed', 'trash-removed'].includes(outcome.point)) {
                expect(readRegistryText(root)).toBe(registryBefore);
                expect(readProjectFiles(root)).toEqual(filesBefore);
              } else {
                expect(contents()).toEqual(contentsAfterCommit);
              }
            } else if (outcome !== 'applied') {
              // A refusal is a blocked plan, or a commit whose target was taken by something the scan does not
              // track (an empty folder); either way it changes nothing.
              expect(outcome).toBeInstanceOf(PackerError);
              const refusal = outcome as PackerError;
              expect(
                refusal.code === 'BLOCKED' || (refusal.code === 'IO_ERROR' && refusal.data.errno === 'EEXIST'),
              ).toBe(true);
              seen.blocked++;
              expect(readRegistryText(root)).toBe(registryBefore);
              expect(readProjectFiles(root)).toEqual(filesBefore);
            } else {
              seen.applied++;
              if (mutation.type === 'move') seen.moves++;
              if (deleted.length > 0) seen.deletes++;
              // The published snapshot matches disk: a full rescan finds nothing new.
              expect((await ws.refresh()).changed).toBe(false);
              expect(contents()).toEqual(contentsAfterCommit);
            }
            checkInvariants(root, ws, everSeen, removed);
          }
          // A cold open derives the same assets the long-lived workspace ended with.
          const fresh = await Workspace.open(root);
          const summary = (w: Workspace): string[] =>
            w.snapshot.assets.map((a) => `${a.id} ${a.path} ${a.status} ${a.tags.join(',')}`).sort();
          expect(summary(fresh)).toEqual(summary(ws));
          const untracked = (w: Workspace): string[] => w.snapshot.untracked.map((file) => file.path).sort();
          expect(untracked(fresh)).toEqual(untracked(ws));
        },
      ),
      { numRuns: 160 },
    );
    expect(seen.applied).toBeGreaterThan(50);
    expect(seen.blocked).toBeGreaterThan(20);
    expect(seen.moves).toBeGreaterThan(8);
    expect(seen.deletes).toBeGreaterThan(3);
    expect(seen.rolledBack).toBeGreaterThan(10);
    expect(seen.rolledForward).toBeGreaterThan(8);
    // 160 runs, half of them sharded; a loaded machine (2 cores, many engineers) needs the room.
  }, 120_000);
});
