import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackerError } from '../contract/errors.js';
import { readProjectFiles, readRegistryText } from '../testing/project-state.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { SimulatedCrash } from './commit-journal.js';

const FILES = { 'assets/hero.png': 'png-bytes-hero', 'assets/readme.txt': 'hello', 'assets/ui/button.png': 'button' };
type JournalJson = Record<string, unknown> & { steps: Record<string, unknown>[]; operationId: string };

async function errorOf(promise: Promise<unknown>): Promise<PackerError> {
  const outcome = await promise.then(() => undefined, (error: unknown) => error);
  expect(outcome).toBeInstanceOf(PackerError);
  return outcome as PackerError;
}

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
  await expect(crashing.apply({ type: 'move', from: 'assets/hero.png', to: 'assets/chars/hero.png' })).rejects.toBeInstanceOf(SimulatedCrash);
  return { root, journal: JSON.parse(readFileSync(path.join(root, '.packer/journal.json'), 'utf8')) as JournalJson };
}

function writeJournal(root: string, content: unknown): void {
  writeFileSync(path.join(root, '.packer/journal.json'), typeof content === 'string' ? content : JSON.stringify(content));
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
  expect(found).toMatchObject({ severity: 'blocker', path: '.packer/journal.json', message: expect.stringMatching(expectMessage), hint: expect.stringContaining('rm .packer/journal.json') });
  expect(ws.snapshot.summary.assets).toBe(3);

  const error = await errorOf(ws.apply({ type: 'update', target: 'assets/readme.txt', addTags: ['x'] }));
  expect(error.code).toBe('INVALID_JOURNAL');
  expect(error.data).toMatchObject({ file: path.join(root, '.packer/journal.json'), hint: expect.stringContaining('.packer/journal.json') });
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

  it('`registryBefore: null` beside an existing registry does not delete packer.registry.json', async () => {
    const { root, journal } = await crashedProject();
    writeJournal(root, { ...journal, registryBefore: null });
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
    ['an operation id that walks out of the trash folder', 'operationId', /field "operationId" is invalid/],
    ['a delete that parks a file outside its own trash slot', 'trash', /steps\[0\]\.trash is "\.packer\/elsewhere"/],
    ['a step outside every asset root', 'root', /outside every asset root/],
    ['a registry the packer would refuse to read', 'registry', /registryAfter is not a valid registry/],
  ] as const)('%s is refused', async (_name, change, message) => {
    const { root, journal } = await crashedProject();
    const hostile =
      change === 'version' ? { ...journal, version: 2 }
      : change === 'operationId' ? { ...journal, operationId: '../../assets' }
      : change === 'trash' ? { ...journal, steps: [{ op: 'delete', path: 'assets/hero.png', trash: '.packer/elsewhere' }] }
      : change === 'root' ? { ...journal, steps: [{ op: 'move', from: 'assets/hero.png', to: 'packer.json' }] }
      : change === 'registry' ? { ...journal, registryAfter: '{"version": 2, "assets": [{"id": 1}]}' }
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
    expect((await errorOf(ws.apply({ type: 'update', target: 'assets/readme.txt', addTags: ['x'] }))).code).toBe('INVALID_JOURNAL');
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
