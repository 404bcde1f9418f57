import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MutationInput } from '../contract/mutation-schema.js';
import { parseRegistry, serializeRegistry } from '../registry/registry-codec.js';
import { copyProject, readProjectFiles, readRegistryText } from '../testing/project-state.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { SimulatedCrash, type CommitPoint } from './commit-journal.js';
import { rebuildRegistry } from './registry-change.js';

const JOURNAL = '.packer/journal.json';

function manyFiles(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let index = 0; index < count; index++) files[`assets/set-${index % 20}/file-${index}.txt`] = `content ${index}`;
  return files;
}

async function registered(files: Record<string, string>): Promise<string> {
  const root = makeTempProject(files);
  const ws = await Workspace.open(root);
  await ws.apply({ type: 'register', paths: ['assets'] });
  await ws.close();
  return root;
}

/** Applies `mutation`, crashing at `point`; returns the journal text the crash left. */
async function crashAt(root: string, point: CommitPoint, mutation: MutationInput): Promise<string> {
  const ws = await Workspace.open(root, {
    commitHook: (at) => {
      if (at === point) throw new SimulatedCrash(at);
    },
  });
  await expect(ws.apply(mutation)).rejects.toBeInstanceOf(SimulatedCrash);
  return readFileSync(path.join(root, JOURNAL), 'utf8');
}

describe('the journal records what changes, not the whole registry twice', () => {
  it('a one-asset update in a 1,500-asset project journals one entry out, one in, and two digests', async () => {
    const root = await registered(manyFiles(1500));
    const registrySize = statSync(path.join(root, 'packer.registry.json')).size;
    expect(registrySize).toBeGreaterThan(150_000);
    const text = await crashAt(root, 'journal-written', {
      type: 'update',
      target: 'assets/set-7/file-1207.txt',
      addTags: ['x'],
    });
    // The old journal held the registry before and after: twice the registry's size.
    expect(text.length).toBeLessThan(4_000);
    const journal = JSON.parse(text) as {
      version: number;
      registry: {
        removed: { path: string; tags: string[] }[];
        added: { path: string; tags: string[] }[];
        before: string;
        after: string;
      };
    };
    expect(journal.version).toBe(2);
    expect(journal.registry.removed).toEqual([
      expect.objectContaining({ path: 'assets/set-7/file-1207.txt', tags: [] }),
    ]);
    expect(journal.registry.added).toEqual([
      expect.objectContaining({ path: 'assets/set-7/file-1207.txt', tags: ['x'] }),
    ]);
    expect(journal.registry.before).toMatch(/^[0-9a-f]{64}$/);
    expect(journal.registry.after).toMatch(/^[0-9a-f]{64}$/);
    expect(journal).not.toHaveProperty('registryBefore');
  });

  it('a journal left at every point of a move recovers to exactly before or after, the registry byte for byte', async () => {
    const base = await registered(manyFiles(200));
    const mutation: MutationInput = { type: 'move', from: 'assets/set-3', to: 'assets/renamed' };
    const registryBefore = readRegistryText(base);
    const done = copyProject(base);
    const ws = await Workspace.open(done);
    await ws.apply(mutation);
    await ws.close();
    const registryAfter = readRegistryText(done);
    for (const point of ['journal-written', 'step-0', 'registry-written', 'journal-committed'] as const) {
      const root = copyProject(base);
      await crashAt(root, point, mutation);
      const recovered = await Workspace.open(root);
      const forward = point === 'journal-committed';
      expect(readRegistryText(root)).toBe(forward ? registryAfter : registryBefore);
      expect(readProjectFiles(root)).toEqual(readProjectFiles(forward ? done : base));
      expect(recovered.snapshot.diagnostics.map((item) => item.code)).not.toContain('INVALID_JOURNAL');
      await recovered.close();
    }
  });
});

describe('a registry the journal cannot rebuild from the change is carried whole, once', () => {
  it('the first write of a format 1 registry: a crash after the registry write restores the format 1 bytes exactly', async () => {
    const root = await registered({ 'assets/a.txt': 'a', 'assets/b.txt': 'b', 'assets/c.txt': 'c' });
    const entries = parseRegistry(readRegistryText(root)!, 'registry', root);
    const formatOne =
      JSON.stringify({ version: 1, assets: [...entries].sort((a, b) => (a.id < b.id ? -1 : 1)) }, null, 2) + '\n';
    writeFileSync(path.join(root, 'packer.registry.json'), formatOne);
    const text = await crashAt(root, 'registry-written', { type: 'update', target: 'assets/b.txt', addTags: ['x'] });
    expect((JSON.parse(text) as { registry: { beforeText?: string } }).registry.beforeText).toBe(formatOne);
    const recovered = await Workspace.open(root);
    expect(readRegistryText(root)).toBe(formatOne);
    expect(recovered.state.byPath.get('assets/b.txt')?.tags).toEqual([]);
    await recovered.close();
  });

  it('a registry rewritten outside after the open (not yet reloaded) is journaled against what is on disk', async () => {
    const root = await registered({ 'assets/a.txt': 'a', 'assets/b.txt': 'b', 'assets/c.txt': 'c' });
    const ws = await Workspace.open(root, {
      commitHook: (at) => {
        if (at === 'registry-written') throw new SimulatedCrash(at);
      },
    });
    // Someone (git, an editor) replaces the file; the workspace has not reloaded it.
    const entries = parseRegistry(readRegistryText(root)!, 'registry', root);
    const outside = serializeRegistry(entries.filter((entry) => entry.path !== 'assets/c.txt'));
    writeFileSync(path.join(root, 'packer.registry.json'), outside);
    await expect(ws.apply({ type: 'update', target: 'assets/a.txt', addTags: ['x'] })).rejects.toBeInstanceOf(
      SimulatedCrash,
    );
    const journal = JSON.parse(readFileSync(path.join(root, JOURNAL), 'utf8')) as {
      registry: { removed: unknown[]; added: unknown[] };
    };
    // The change is against the file on disk (it lacks c.txt, which the workspace still holds): a rebuild fits.
    expect(() =>
      rebuildRegistry(
        parseRegistry(outside, 'registry', root),
        journal.registry.removed as never,
        journal.registry.added as never,
      ),
    ).not.toThrow();
    const recovered = await Workspace.open(root);
    expect(readRegistryText(root)).toBe(outside);
    expect(recovered.snapshot.diagnostics.map((item) => item.code)).not.toContain('INVALID_JOURNAL');
    await recovered.close();
  });
});

describe('a journal written by the previous version (whole registry before and after) still recovers after an upgrade', () => {
  it.each(['pending', 'committed'] as const)('a %s one', async (state) => {
    const base = await registered({ 'assets/hero.png': 'hero', 'assets/readme.txt': 'hello' });
    const registryBefore = readRegistryText(base)!;
    const done = copyProject(base);
    const ws = await Workspace.open(done);
    const result = await ws.apply({ type: 'move', from: 'assets/hero.png', to: 'assets/chars/hero.png' });
    await ws.close();
    const registryAfter = readRegistryText(done)!;

    // The state a crash of the old version left: the move's step done (pending) or everything but the cleanup
    // (committed).
    const root = copyProject(state === 'pending' ? base : done);
    const operationId = result.operationId.replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
    const audit = {
      time: new Date().toISOString(),
      operationId,
      actor: { client: 'old-packer', pid: 1 },
      scope: { type: 'move', mutation: { type: 'move', from: 'assets/hero.png', to: 'assets/chars/hero.png' } },
      result: 'applied',
      revisionBefore: 1,
      revisionAfter: 2,
    };
    const legacy = {
      version: 1,
      operationId,
      state,
      steps: [{ op: 'move', from: 'assets/hero.png', to: 'assets/chars/hero.png' }],
      registryBefore,
      registryAfter,
      audit,
    };
    writeFileSync(path.join(root, JOURNAL), JSON.stringify(legacy));

    const recovered = await Workspace.open(root);
    expect(recovered.snapshot.diagnostics.map((item) => item.code)).not.toContain('INVALID_JOURNAL');
    expect(readRegistryText(root)).toBe(state === 'pending' ? registryBefore : registryAfter);
    expect(readProjectFiles(root)).toEqual(readProjectFiles(state === 'pending' ? base : done));
    expect(recovered.audit.list({ operationId }).map((record) => record.result)).toEqual(
      state === 'pending' ? [] : ['applied'],
    );
    await recovered.close();
  });
});
