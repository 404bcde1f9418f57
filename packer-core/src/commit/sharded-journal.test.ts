import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shardFileOf } from '../registry/registry-shards.js';
import { readProjectFiles, readRegistryText } from '../testing/project-state.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { SimulatedCrash, type CommitPoint } from './commit-journal.js';

const FILES = { 'assets/ui/hero.png': 'png-bytes-hero', 'assets/readme.txt': 'hello', 'assets/ui/button.png': 'b' };
// A destination folder whose shard holds nothing yet (16 shards: checked, not assumed).
const TO = ['chars', 'heroes', 'people', 'actors', 'npc']
  .map((name) => `assets/${name}`)
  .find(
    (folder) => ![`assets/x`, `assets/ui/x`].map((p) => shardFileOf(p, 16)).includes(shardFileOf(`${folder}/x`, 16)),
  )!;
const MOVE = { type: 'move', from: 'assets/ui/hero.png', to: `${TO}/hero.png` } as const;

interface FileChange {
  file: string;
  before: string | null;
  after: string | null;
  removed: unknown[];
  added: unknown[];
}
type ShardedJournalJson = Record<string, unknown> & { version: number; registry: FileChange[] };

/** A registered 16-shard project and the journal a crash at `point` of a cross-folder move left. */
async function crashed(point: CommitPoint): Promise<{ root: string; journal: ShardedJournalJson }> {
  const root = makeTempProject(FILES, { ...TEST_CONFIG, registry: { shards: 16 } });
  const setup = await Workspace.open(root);
  await setup.apply({ type: 'register', paths: ['assets'] });
  await setup.close();
  const crashing = await Workspace.open(root, {
    commitHook: (at) => {
      if (at === point) throw new SimulatedCrash(at);
    },
  });
  await expect(crashing.apply(MOVE)).rejects.toBeInstanceOf(SimulatedCrash);
  const journal = JSON.parse(readFileSync(path.join(root, '.packer/journal.json'), 'utf8')) as ShardedJournalJson;
  return { root, journal };
}

async function expectRefused(root: string, message: RegExp): Promise<void> {
  const files = readProjectFiles(root);
  const registry = readRegistryText(root);
  const ws = await Workspace.open(root);
  expect(readProjectFiles(root)).toEqual(files);
  expect(readRegistryText(root)).toBe(registry);
  expect(ws.snapshot.diagnostics.find((item) => item.code === 'INVALID_JOURNAL')?.message).toMatch(message);
  await ws.close();
}

describe('the journal of a sharded commit: one record per registry file', () => {
  it('a move across folders journals the shard it leaves and the shard it enters (version 3), and recovers', async () => {
    const { root, journal } = await crashed('registry-written');
    expect(journal.version).toBe(3);
    expect(journal.registry.map((change) => change.file).sort()).toEqual(
      [shardFileOf('assets/ui/x', 16), shardFileOf(`${TO}/x`, 16)].sort(),
    );
    // The shard it enters did not exist before.
    expect(journal.registry.find((change) => change.file === shardFileOf(`${TO}/x`, 16))?.before).toBeNull();
    const ws = await Workspace.open(root);
    // Rolled back: the entered shard is deleted again, the hero is back in ui/.
    expect(existsSync(path.join(root, shardFileOf(`${TO}/x`, 16)))).toBe(false);
    expect(ws.state.byPath.has('assets/ui/hero.png')).toBe(true);
    expect(ws.state.byPath.has(`${TO}/hero.png`)).toBe(false);
    expect(ws.snapshot.diagnostics.map((item) => item.code)).not.toContain('INVALID_JOURNAL');
    await ws.close();
  });

  it.each([
    [
      'a file outside the registry',
      '../../outside.json',
      /registry\[0\]\.file "\.\.\/\.\.\/outside\.json" is not a registry file/,
    ],
    ['a shard path with ..', 'packer.registry/../packer.json', /is not a registry file/],
    ['the config file', 'packer.json', /is not a registry file/],
  ])('a record naming %s is refused, nothing executed', async (_name, file, message) => {
    const { root, journal } = await crashed('journal-written');
    const [first, ...rest] = journal.registry;
    writeFileSync(
      path.join(root, '.packer/journal.json'),
      JSON.stringify({ ...journal, registry: [{ ...first!, file }, ...rest] }),
    );
    await expectRefused(root, message);
  });

  it('a record whose digests fit neither side of its file is refused', async () => {
    const { root, journal } = await crashed('journal-written');
    const registry = journal.registry.map((change) => ({ ...change, before: 'a'.repeat(64) }));
    writeFileSync(path.join(root, '.packer/journal.json'), JSON.stringify({ ...journal, registry }));
    await expectRefused(root, /on disk is neither the registry before nor/);
  });

  it('the same file named twice is refused', async () => {
    const { root, journal } = await crashed('journal-written');
    const registry = [journal.registry[0]!, journal.registry[0]!];
    writeFileSync(path.join(root, '.packer/journal.json'), JSON.stringify({ ...journal, registry }));
    await expectRefused(root, /is named twice/);
  });
});
