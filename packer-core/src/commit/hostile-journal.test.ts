import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { parseRegistry, serializeRegistry } from '../registry/registry-codec.js';
import { readProjectFiles, readRegistryText } from '../testing/project-state.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { SimulatedCrash } from './commit-journal.js';
import { rebuildRegistry } from './registry-change.js';
import { packerErrorOf } from '../testing/packer-error-of.js';

const FILES = { 'assets/hero.png': 'png-bytes-hero', 'assets/readme.txt': 'hello', 'assets/ui/button.png': 'button' };
type JournalJson = Record<string, unknown> & {
  steps: Record<string, unknown>[];
  operationId: string;
  registry: {
    before: string | null;
    after: string;
    removed: RegistryEntry[];
    added: RegistryEntry[];
    beforeText?: string;
  };
};

/** A registered project with a genuine pending journal left by a crash right after it was written (no step ran). */
async function crashedProject(): Promise<{ root: string; journal: JournalJson }> {
  const root = makeTempProject(FILES);
  const setup = await Workspace.open(root);
  await setup.apply({ type: 'register', paths: ['assets'] });
  await setup.close();
  const crashing = await Workspace.open(root, {
    commitHook: (point) => {
      if (point === 'journal-written') throw new SimulatedCrash(point);
    },
  });
  await expect(
    crashing.apply({ type: 'move', from: 'assets/hero.png', to: 'assets/chars/hero.png' }),
  ).rejects.toBeInstanceOf(SimulatedCrash);
  return { root, journal: JSON.parse(readFileSync(path.join(root, '.packer/journal.json'), 'utf8')) as JournalJson };
}

/** The same journal in the shape an earlier version wrote: the whole registry before and after. */
function legacyOf(root: string, journal: JournalJson): Record<string, unknown> {
  const { registry, ...rest } = journal;
  const before = readRegistryText(root)!;
  const after = rebuildRegistry(parseRegistry(before, 'before', root), registry.removed, registry.added);
  return { ...rest, version: 1, registryBefore: before, registryAfter: after };
}

function writeJournal(root: string, content: unknown): void {
  writeFileSync(
    path.join(root, '.packer/journal.json'),
    typeof content === 'string' ? content : JSON.stringify(content),
  );
}

/** Opens the project, proves nothing ran and that it is read-only with INVALID_JOURNAL, yet readable. */
async function expectRefused(root: string, expectMessage: RegExp): Promise<Workspace> {
  const files = readProjectFiles(root);
  const registry = readRegistryText(root);
  const journalBytes = readFileSync(path.join(root, '.packer/journal.json'), 'utf8');

  const ws = await Workspace.open(root);
  // Nothing executed: same files, same registry, the journal left for a person to look at.
  expect(readProjectFiles(root)).toEqual(files);
  expect(readRegistryText(root)).toBe(registry);
  expect(readFileSync(path.join(root, '.packer/journal.json'), 'utf8')).toBe(journalBytes);
  expect(existsSync(path.join(path.dirname(root), 'escaped'))).toBe(false);

  // Reads work and say why writes will not.
  const found = ws.snapshot.diagnostics.find((item) => item.code === 'INVALID_JOURNAL');
  expect(found).toMatchObject({
    severity: 'blocker',
    path: '.packer/journal.json',
    message: expect.stringMatching(expectMessage),
    hint: expect.stringContaining('rm .packer/journal.json'),
  });
  expect(ws.snapshot.summary.assets).toBe(3);

  const error = await packerErrorOf(ws.apply({ type: 'update', target: 'assets/readme.txt', addTags: ['x'] }));
  expect(error.code).toBe('INVALID_JOURNAL');
  expect(error.data).toMatchObject({
    file: path.join(root, '.packer/journal.json'),
    hint: expect.stringContaining('.packer/journal.json'),
  });
  expect(readRegistryText(root)).toBe(registry);
  return ws;
}

describe('a hostile or broken crash journal is never executed', () => {
  it('a step path escaping the project (`../escaped/stolen.md`) moves nothing out', async () => {
    const { root, journal } = await crashedProject();
    writeJournal(root, { ...journal, steps: [{ op: 'move', from: '../escaped/stolen.md', to: 'assets/hero.png' }] });
    await expectRefused(root, /steps\[0\]\.from "\.\.\/escaped\/stolen\.md" is not a path inside the project/);
    expect(readFileSync(path.join(root, 'assets/hero.png'), 'utf8')).toBe('png-bytes-hero');
  });

  it('`registryBefore: null` (an old-shape journal) beside an existing registry does not delete packer.registry.json', async () => {
    const { root, journal } = await crashedProject();
    writeJournal(root, { ...legacyOf(root, journal), registryBefore: null });
    await expectRefused(root, /packer\.registry\.json on disk is neither absent nor the registry after/);
    expect(readRegistryText(root)).not.toBeNull();
  });

  it('`registry.before: null` beside an existing registry does not delete packer.registry.json', async () => {
    const { root, journal } = await crashedProject();
    writeJournal(root, { ...journal, registry: { ...journal.registry, before: null } });
    await expectRefused(root, /packer\.registry\.json on disk is neither absent nor the registry after/);
    expect(readRegistryText(root)).not.toBeNull();
  });

  it('`{not json` leaves the project readable, names the file and its line', async () => {
    const { root } = await crashedProject();
    writeJournal(root, '{not json');
    await expectRefused(root, /\.packer\/journal\.json is not valid JSON at line 1/);
  });

  it.each([
    ['a wrong shape', { version: 1, steps: 'all of them' }, /field "(operationId|steps|state)" is invalid/],
    ['an unknown version', 'version', /field "version" is invalid/],
    ['an old-shape field in a version 2 journal', 'mixed', /field "registryAfter" is invalid/],
    ['an operation id that walks out of the trash folder', 'operationId', /field "operationId" is invalid/],
    ['a delete that parks a file outside its own trash slot', 'trash', /steps\[0\]\.trash is "\.packer\/elsewhere"/],
    ['a step outside every asset root', 'root', /outside every asset root/],
    ['an old-shape registry the packer would refuse to read', 'registry', /registryAfter is not a valid registry/],
    [
      'a changed entry the packer would refuse to read',
      'entry',
      /registry\.added\[0\] is not a valid registry entry: .*registry\.added\[0\]\.id/,
    ],
    [
      'a changed entry whose path escapes the project',
      'escape',
      /registry\.added\[0\] is not a valid registry entry: .*not a valid project path/,
    ],
    ['a digest that is not a sha256', 'digest', /field "registry\.after" is invalid: must be a sha256 digest/],
  ] as const)('%s is refused', async (_name, change, message) => {
    const { root, journal } = await crashedProject();
    const added = journal.registry.added[0]!;
    const hostile =
      change === 'version'
        ? { ...journal, version: 4 }
        : change === 'mixed'
          ? { ...journal, registryAfter: readRegistryText(root) }
          : change === 'entry'
            ? { ...journal, registry: { ...journal.registry, added: [{ ...added, id: 1 }] } }
            : change === 'escape'
              ? { ...journal, registry: { ...journal.registry, added: [{ ...added, path: '../escaped/stolen.md' }] } }
              : change === 'digest'
                ? { ...journal, registry: { ...journal.registry, after: 'not a digest' } }
                : change === 'operationId'
                  ? { ...journal, operationId: '../../assets' }
                  : change === 'trash'
                    ? { ...journal, steps: [{ op: 'delete', path: 'assets/hero.png', trash: '.packer/elsewhere' }] }
                    : change === 'root'
                      ? { ...journal, steps: [{ op: 'move', from: 'assets/hero.png', to: 'packer.json' }] }
                      : change === 'registry'
                        ? { ...legacyOf(root, journal), registryAfter: '{"version": 2, "assets": [{"id": 1}]}' }
                        : change;
    writeJournal(root, hostile);
    await expectRefused(root, message);
    expect(existsSync(path.join(root, 'assets'))).toBe(true);
  });

  it('a journal that is a folder is refused the same way', async () => {
    const { root } = await crashedProject();
    rmSync(path.join(root, '.packer/journal.json'));
    mkdirSync(path.join(root, '.packer/journal.json'));
    const ws = await Workspace.open(root);
    expect(ws.snapshot.diagnostics.map((item) => item.code)).toContain('INVALID_JOURNAL');
    expect((await packerErrorOf(ws.apply({ type: 'update', target: 'assets/readme.txt', addTags: ['x'] }))).code).toBe(
      'INVALID_JOURNAL',
    );
  });

  it('once a person removes the journal, the project is writable again and the diagnostic is gone', async () => {
    const { root } = await crashedProject();
    writeJournal(root, '{not json');
    const ws = await expectRefused(root, /not valid JSON/);
    rmSync(path.join(root, '.packer/journal.json'));
    await ws.refresh();
    expect(ws.snapshot.diagnostics.map((item) => item.code)).not.toContain('INVALID_JOURNAL');
    const result = await ws.apply({ type: 'update', target: 'assets/readme.txt', addTags: ['x'] });
    expect(result.plan.registryMutations).toHaveLength(1);
    await ws.close();
  });

  it('an untouched crash journal is still recovered (rolled back)', async () => {
    const { root } = await crashedProject();
    const ws = await Workspace.open(root);
    expect(existsSync(path.join(root, '.packer/journal.json'))).toBe(false);
    expect(ws.snapshot.diagnostics.map((item) => item.code)).not.toContain('INVALID_JOURNAL');
    expect(ws.state.byPath.get('assets/hero.png')).toBeDefined();
    await ws.close();
  });
});

describe("a journal's registry change must rebuild exactly the registry it records (sha256), or nothing runs", () => {
  const forged = (journal: JournalJson, registry: Partial<JournalJson['registry']>): JournalJson => ({
    ...journal,
    registry: { ...journal.registry, ...registry },
  });

  it.each([
    [
      'an added entry changed after the fact (its digest no longer matches)',
      (j: JournalJson) => forged(j, { added: [{ ...j.registry.added[0]!, tags: ['forged'] }] }),
      /registry\.after rebuilt .* does not match its sha256/,
    ],
    [
      'a forged after digest',
      (j: JournalJson) => forged(j, { after: 'f'.repeat(64) }),
      /registry\.after rebuilt .* does not match its sha256/,
    ],
    [
      'a removed entry the registry does not hold',
      (j: JournalJson) => forged(j, { removed: [{ ...j.registry.removed[0]!, id: 'a_00000000000000000000000000' }] }),
      /does not fit packer\.registry\.json on disk \(asset a_0+ is not in it\)/,
    ],
    [
      'a removed entry with other values than the registry holds',
      (j: JournalJson) => forged(j, { removed: [{ ...j.registry.removed[0]!, kind: 'data' }] }),
      /is in it with other values/,
    ],
    [
      'a whole before text that does not match its digest',
      (j: JournalJson) => forged(j, { beforeText: '{"version":2,"assets":[\n]}\n' }),
      /registry\.beforeText does not match its sha256/,
    ],
    [
      'a before digest that is neither the registry on disk nor rebuilt',
      (j: JournalJson) => forged(j, { before: '0'.repeat(64) }),
      /on disk is neither the registry before nor the registry after .* \(by sha256\)/,
    ],
  ] as const)('%s is refused', async (_name, forge, message) => {
    const { root, journal } = await crashedProject();
    expect(journal.registry.removed).toHaveLength(1);
    expect(journal.registry.added).toHaveLength(1);
    writeJournal(root, forge(journal));
    await expectRefused(root, message);
  });

  it('a committed journal whose change does not fit is not rolled forward either', async () => {
    const { root, journal } = await crashedProject();
    writeJournal(root, {
      ...forged(journal, { added: [{ ...journal.registry.added[0]!, path: 'assets/elsewhere.png' }] }),
      state: 'committed',
    });
    await expectRefused(root, /registry\.after rebuilt .* does not match its sha256/);
    expect(readFileSync(path.join(root, 'assets/hero.png'), 'utf8')).toBe('png-bytes-hero');
  });

  it('a registry changed on disk since the crash (neither side) is never overwritten', async () => {
    const { root, journal } = await crashedProject();
    const entries = parseRegistry(readRegistryText(root)!, 'registry', root);
    writeFileSync(
      path.join(root, 'packer.registry.json'),
      serializeRegistry(entries.filter((entry) => entry.path !== 'assets/readme.txt')),
    );
    writeJournal(root, journal);
    const ws = await Workspace.open(root);
    expect(ws.snapshot.diagnostics.find((item) => item.code === 'INVALID_JOURNAL')?.message).toMatch(
      /neither the registry before nor the registry after/,
    );
    expect(parseRegistry(readRegistryText(root)!, 'registry', root)).toHaveLength(2);
    expect(existsSync(path.join(root, '.packer/journal.json'))).toBe(true);
    await ws.close();
  });
});
