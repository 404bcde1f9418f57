import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MutationInput } from '../contract/mutation-schema.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { canonicalState, observerOf } from '../testing/snapshot-equivalence.js';
import type { SnapshotState } from './snapshot-state.js';
import { Workspace } from '../workspace/workspace.js';

// The incremental snapshot is the from-scratch one: after any sequence of mutations and outside changes, each
// refreshed only at the paths a watcher would name, the maintained state equals a derivation from a full scan.

const CONFIG = { ...TEST_CONFIG, sidecars: ['{path}.meta'] };
const POOL = [
  'assets/a.png',
  'assets/A.png',
  'assets/b.txt',
  'assets/c.json',
  'assets/d/e.png',
  'assets/d/f.txt',
  'assets/d/g/h.json',
  'assets/d.meta',
  'assets/a.png.meta',
  'assets/x.png',
  'assets/y/z.txt',
  'assets/y/z.txt.meta',
  'assets/k.unknown',
];
const FOLDERS = ['assets/d', 'assets/d/g', 'assets/y'];
// Few contents, so identical files (an outside move's evidence) and ties (ambiguous matches) are common.
const CONTENT = fc.constantFrom(
  'A',
  'BB',
  'png!',
  'line one\nline two\nline three\nline four\n',
  'line one\nline 2\nline three\nline four\n',
);

type Step =
  | { kind: 'write'; file: string; content: string }
  | { kind: 'delete'; pick: number }
  | { kind: 'rename'; pick: number; to: string }
  | { kind: 'rmdir'; folder: string }
  | { kind: 'mutate'; mutation: 'register' | 'remove' | 'move' | 'tag' | 'reconcile'; pick: number; to: string };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('write' as const), file: fc.constantFrom(...POOL), content: CONTENT }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat(30) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('rename' as const), pick: fc.nat(30), to: fc.constantFrom(...POOL) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rmdir' as const), folder: fc.constantFrom(...FOLDERS) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('mutate' as const),
      mutation: fc.constantFrom(
        'register' as const,
        'register' as const,
        'remove' as const,
        'move' as const,
        'tag' as const,
        'reconcile' as const,
      ),
      pick: fc.nat(30),
      to: fc.constantFrom(...POOL),
    }),
  },
);

const projectArb = fc.dictionary(fc.constantFrom(...POOL), CONTENT, { maxKeys: 8 });

function filesOf(root: string): string[] {
  const out: string[] = [];
  const walk = (relative: string): void => {
    if (!existsSync(path.join(root, relative))) return;
    for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  walk('assets');
  return out.sort();
}

/** Performs one outside change; returns the paths a watcher would report for it. */
function outsideChange(root: string, step: Exclude<Step, { kind: 'mutate' }>): string[] {
  const files = filesOf(root);
  const at = (relative: string): string => path.join(root, relative);
  switch (step.kind) {
    case 'write': {
      // A file cannot be written where a folder is, nor under a file.
      try {
        const created = mkdirSync(path.dirname(at(step.file)), { recursive: true });
        writeFileSync(at(step.file), step.content);
        // A watcher reports a folder it saw created, as well as the file.
        return created ? [path.relative(root, created), step.file] : [step.file];
      } catch {
        return [];
      }
    }
    case 'delete': {
      if (files.length === 0) return [];
      const file = files[step.pick % files.length]!;
      rmSync(at(file));
      return [file];
    }
    case 'rename': {
      if (files.length === 0) return [];
      const file = files[step.pick % files.length]!;
      try {
        const created = mkdirSync(path.dirname(at(step.to)), { recursive: true });
        renameSync(at(file), at(step.to));
        return created ? [file, path.relative(root, created), step.to] : [file, step.to];
      } catch {
        return [];
      }
    }
    case 'rmdir':
      rmSync(at(step.folder), { recursive: true, force: true });
      return [step.folder];
  }
}

function mutationFor(step: Extract<Step, { kind: 'mutate' }>, state: SnapshotState): MutationInput {
  const registered = state.snapshot.assets.map((asset) => asset.path).sort();
  const untracked = state.snapshot.untracked.map((file) => file.path).sort();
  const pick = (list: string[]): string =>
    list.length > 0 ? list[step.pick % list.length]! : POOL[step.pick % POOL.length]!;
  switch (step.mutation) {
    case 'register':
      return { type: 'register', paths: [step.pick % 3 === 0 ? 'assets' : pick(untracked)] };
    case 'remove':
      return { type: 'remove', targets: [pick(registered)], deleteFiles: step.pick % 2 === 0 };
    case 'move':
      return { type: 'move', from: pick(registered), to: step.to };
    case 'tag':
      return { type: 'update', target: pick(registered), addTags: [`t${step.pick % 3}`], settings: {} };
    case 'reconcile':
      return { type: 'reconcile' };
  }
}

describe('incremental snapshot', () => {
  it('random mutations and outside changes give the state a from-scratch derivation gives', async () => {
    await fc.assert(
      fc.asyncProperty(projectArb, fc.array(stepArb, { minLength: 1, maxLength: 12 }), async (files, steps) => {
        const root = makeTempProject(files, CONFIG);
        mkdirSync(path.join(root, 'assets'), { recursive: true });
        const ws = await Workspace.open(root);
        try {
          if (Object.keys(files).length > 0)
            await ws.apply({ type: 'register', paths: ['assets'] }).catch(() => undefined);
          // Each state is materialised only after the next one was built: a reader that holds revision N and
          // reads it late still sees exactly N.
          let held: { state: SnapshotState; expected: string } | undefined;
          for (const step of steps) {
            if (step.kind === 'mutate') {
              await ws.apply(mutationFor(step, ws.state)).catch(() => undefined);
            } else {
              const reported = outsideChange(root, step);
              if (reported.length > 0) await ws.refresh(reported, 'watcher');
            }
            if (held) expect(canonicalState(held.state, { files: true })).toBe(held.expected);
            held = { state: ws.state, expected: canonicalState(observerOf(ws).deriveFromScratch(), { files: true }) };
          }
          expect(canonicalState(held!.state, { files: true })).toBe(held!.expected);
        } finally {
          await ws.close();
          rmSync(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  }, 300_000);
  // Found by the property above: the commit re-observed the moved file but not `assets/d.meta`, whose folder the
  // move created, so the incremental state kept calling it an orphan while a full scan saw a folder sidecar.
  it("a move into a new folder re-observes that folder's sidecar", async () => {
    const root = makeTempProject({ 'assets/a.png': 'A', 'assets/b.txt': 'A' }, CONFIG);
    const ws = await Workspace.open(root);
    try {
      await ws.apply({ type: 'register', paths: ['assets'] });
      renameSync(path.join(root, 'assets/a.png'), path.join(root, 'assets/d.meta'));
      await ws.refresh(['assets/a.png', 'assets/d.meta'], 'watcher');
      expect(ws.snapshot.diagnostics.map((item) => item.code)).toContain('ORPHAN_SIDECAR');
      await ws.apply({ type: 'move', from: 'assets/b.txt', to: 'assets/d/e.png' });
      expect(ws.state.files.get('assets/d.meta')?.sidecarOfFolder).toBe('assets/d');
      expect(ws.snapshot.diagnostics.map((item) => item.code)).not.toContain('ORPHAN_SIDECAR');
      expect(canonicalState(ws.state, { files: true })).toBe(
        canonicalState(observerOf(ws).deriveFromScratch(), { files: true }),
      );
    } finally {
      await ws.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
