import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../contract/diagnostics.js';
import type { PackerError } from '../contract/errors.js';
import type { MutationInput } from '../contract/mutation-schema.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { newAssetId } from '../ids/asset-id.js';
import { serializeRegistry } from '../registry/registry-codec.js';
import { readProjectFiles, readRegistryText } from '../testing/project-state.js';
import { makeTempDir } from '../testing/temp-dirs.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from './workspace.js';
import { packerErrorOf } from '../testing/packer-error-of.js';

const FILES = {
  'assets/hero.png': 'png-bytes-hero',
  'assets/ui/button.png': 'png-bytes-button',
  'assets/readme.txt': 'hello',
};

async function registered(files: Record<string, string> = FILES): Promise<{ root: string; ws: Workspace }> {
  const root = makeTempProject(files);
  const ws = await Workspace.open(root);
  await ws.apply({ type: 'register', paths: ['assets'] });
  return { root, ws };
}

/** Files and registry bytes as they are now; `check()` asserts nothing changed since. */
function freeze(root: string): { check(): void } {
  const files = readProjectFiles(root);
  const registry = readRegistryText(root);
  return {
    check() {
      expect(readProjectFiles(root)).toEqual(files);
      expect(readRegistryText(root)).toBe(registry);
    },
  };
}

/** The preview has a blocker with `code`, and apply refuses with BLOCKED listing it. */
async function expectBlocked(ws: Workspace, mutation: MutationInput, code: string): Promise<Diagnostic[]> {
  const plan = ws.preview(mutation);
  expect(plan.blockers.map((blocker) => blocker.code)).toContain(code);
  const error = await packerErrorOf(ws.apply(mutation));
  expect(error.code).toBe('BLOCKED');
  const blockers = error.data.blockers as Diagnostic[];
  expect(blockers.map((blocker) => blocker.code)).toContain(code);
  return blockers;
}

function codesOf(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((item) => item.code);
}

describe('bad paths in mutations', () => {
  it.each<[string, MutationInput, string]>([
    ['register ../ traversal', { type: 'register', paths: ['../outside.png'] }, 'PATH_OUTSIDE_PROJECT'],
    ['register a/../../ traversal', { type: 'register', paths: ['assets/../../outside.png'] }, 'PATH_OUTSIDE_PROJECT'],
    ['register absolute outside', { type: 'register', paths: ['/etc/hosts'] }, 'PATH_OUTSIDE_PROJECT'],
    ['register NUL byte', { type: 'register', paths: ['assets/hero\0.png'] }, 'INVALID_PATH'],
    ['move to ../', { type: 'move', from: 'assets/hero.png', to: '../hero.png' }, 'PATH_OUTSIDE_PROJECT'],
    [
      'move to absolute outside',
      { type: 'move', from: 'assets/hero.png', to: path.join(os.tmpdir(), 'stolen-hero.png') },
      'PATH_OUTSIDE_PROJECT',
    ],
    ['move to NUL byte', { type: 'move', from: 'assets/hero.png', to: 'assets/he\0ro.png' }, 'INVALID_PATH'],
    ['move from ../', { type: 'move', from: '../assets/hero.png', to: 'assets/x.png' }, 'PATH_OUTSIDE_PROJECT'],
    ['remove ../', { type: 'remove', targets: ['../assets/hero.png'], deleteFiles: true }, 'PATH_OUTSIDE_PROJECT'],
    ['update NUL byte', { type: 'update', target: 'assets/hero.png\0', addTags: ['x'] }, 'INVALID_PATH'],
  ])('%s: blocked with a stable code, nothing changes', async (_name, mutation, code) => {
    const { root, ws } = await registered();
    writeFileSync(path.join(root, 'assets/untracked.png'), 'new');
    const before = freeze(root);
    const blockers = await expectBlocked(ws, mutation, code);
    expect(blockers.find((blocker) => blocker.code === code)?.message).toMatch(/outside the project|NUL/);
    before.check();
    expect(existsSync(path.join(root, '../hero.png'))).toBe(false);
    expect(existsSync(path.join(os.tmpdir(), 'stolen-hero.png'))).toBe(false);
    expect(ws.audit.list().at(-1)).toMatchObject({ result: 'blocked', error: { code: 'BLOCKED' } });
  });

  it('an absolute path inside the project is accepted and stored relative', async () => {
    const { root, ws } = await registered();
    await ws.apply({
      type: 'move',
      from: path.join(root, 'assets/hero.png'),
      to: path.join(root, 'assets/chars/./hero.png'),
    });
    expect(ws.state.byPath.has('assets/chars/hero.png')).toBe(true);
    expect(readRegistryText(root)).toContain('"path":"assets/chars/hero.png"');
  });
});

describe('symlinks that escape the project', () => {
  function withEscapes(): { root: string; outside: string } {
    const root = makeTempProject(FILES);
    const outside = makeTempDir('packer-outside-');
    writeFileSync(path.join(outside, 'secret.png'), 'secret');
    symlinkSync(path.join(outside, 'secret.png'), path.join(root, 'assets/link.png'));
    symlinkSync(outside, path.join(root, 'assets/portal'));
    return { root, outside };
  }

  it('are PATH_OUTSIDE_PROJECT diagnostics in the snapshot, and never untracked files', async () => {
    const { root } = withEscapes();
    const ws = await Workspace.open(root);
    const escapes = ws.snapshot.diagnostics.filter((item) => item.code === 'PATH_OUTSIDE_PROJECT');
    expect(escapes.map((item) => item.path).sort()).toEqual(['assets/link.png', 'assets/portal']);
    expect(escapes.every((item) => item.severity === 'blocker')).toBe(true);
    expect(ws.snapshot.untracked.map((file) => file.path)).not.toContain('assets/link.png');
  });

  it('cannot be registered, by path or through reconcile', async () => {
    const { root } = withEscapes();
    const ws = await Workspace.open(root);
    const before = freeze(root);
    await expectBlocked(ws, { type: 'register', paths: ['assets/link.png'] }, 'PATH_OUTSIDE_PROJECT');
    await expectBlocked(ws, { type: 'register', paths: ['assets/portal/secret.png'] }, 'PATH_OUTSIDE_PROJECT');
    before.check();
    await ws.apply({ type: 'reconcile' });
    expect(ws.snapshot.assets.map((asset) => asset.path).sort()).toEqual(Object.keys(FILES).sort());
  });

  it('a folder add names every link pointing outside in one preview and adopts the files beside them', async () => {
    const { root } = withEscapes();
    const ws = await Workspace.open(root);
    for (const folder of ['assets', '.']) {
      const plan = ws.preview({ type: 'register', paths: [folder] });
      expect(plan.blockers).toEqual([]);
      expect(plan.warnings.filter((item) => item.code === 'OUTSIDE_LINK_SKIPPED').map((item) => item.path)).toEqual([
        'assets/link.png',
        'assets/portal',
      ]);
      expect(plan.registryMutations.map((item) => item.op === 'add' && item.entry.path).sort()).toEqual(
        Object.keys(FILES).sort(),
      );
    }
    await ws.apply({ type: 'register', paths: ['assets'] });
    expect(ws.snapshot.assets.map((asset) => asset.path).sort()).toEqual(Object.keys(FILES).sort());
    // A folder holding nothing but such a link: the warning says why nothing is registered, no NOT_FOUND.
    mkdirSync(path.join(root, 'assets/only'));
    symlinkSync('/etc/hostname', path.join(root, 'assets/only/out.txt'));
    await ws.refresh(['assets/only']);
    const lone = ws.preview({ type: 'register', paths: ['assets/only'] });
    expect(lone.blockers).toEqual([]);
    expect(lone.warnings.map((item) => item.code)).toContain('OUTSIDE_LINK_SKIPPED');
  });

  it('a move into a folder symlinked outside is blocked, and the file stays in the project', async () => {
    const { root, outside } = withEscapes();
    const ws = await Workspace.open(root);
    await ws.apply({ type: 'register', paths: ['assets/hero.png', 'assets/ui'] });
    const before = freeze(root);
    await expectBlocked(
      ws,
      { type: 'move', from: 'assets/hero.png', to: 'assets/portal/hero.png' },
      'PATH_OUTSIDE_PROJECT',
    );
    await expectBlocked(ws, { type: 'move', from: 'assets/ui', to: 'assets/portal/ui' }, 'PATH_OUTSIDE_PROJECT');
    before.check();
    expect(existsSync(path.join(outside, 'hero.png'))).toBe(false);
    expect(existsSync(path.join(outside, 'ui'))).toBe(false);
  });
});

describe('paths that differ only by case', () => {
  const caseFiles = { ...FILES, 'assets/Hero.png': 'PNG-BYTES-OTHER-HERO' };

  it('give one CASE_COLLISION warning naming both paths', async () => {
    const root = makeTempProject(caseFiles);
    const ws = await Workspace.open(root);
    const collisions = ws.snapshot.diagnostics.filter((item) => item.code === 'CASE_COLLISION');
    expect(collisions).toHaveLength(1);
    expect(collisions[0]!.subjects!.map((item) => item.path).sort()).toEqual(['assets/Hero.png', 'assets/hero.png']);
    expect(collisions.every((item) => item.severity === 'warning')).toBe(true);
    // A warning does not stop registering them.
    await ws.apply({ type: 'register', paths: ['assets'] });
    expect(ws.snapshot.diagnostics.filter((item) => item.code === 'CASE_COLLISION')).toHaveLength(1);
  });

  it('a case-only rename onto another existing file is blocked and loses nothing', async () => {
    const root = makeTempProject(caseFiles);
    const ws = await Workspace.open(root);
    await ws.apply({ type: 'register', paths: ['assets/hero.png'] });
    const before = freeze(root);
    await expectBlocked(ws, { type: 'move', from: 'assets/hero.png', to: 'assets/Hero.png' }, 'TARGET_EXISTS');
    before.check();
  });

  it('a case-only rename with no other file is an ordinary move', async () => {
    const { root, ws } = await registered();
    const id = ws.state.byPath.get('assets/readme.txt')!.id;
    await ws.apply({ type: 'move', from: 'assets/readme.txt', to: 'assets/README.txt' });
    expect(ws.state.byId.get(id)?.path).toBe('assets/README.txt');
    expect(readFileSync(path.join(root, 'assets/README.txt'), 'utf8')).toBe('hello');
  });
});

describe('an invalid registry makes the packer read-only', () => {
  const id1 = newAssetId();
  const id2 = newAssetId();
  const entry = (id: string, entryPath: string): RegistryEntry => ({
    id,
    path: entryPath,
    kind: 'image',
    settings: {},
    tags: [],
  });
  const valid = serializeRegistry([entry(id1, 'assets/hero.png'), entry(id2, 'assets/ui/button.png')]);
  const handBroken = (mutate: (assets: Record<string, unknown>[]) => void): string => {
    const parsed = JSON.parse(valid) as { version: number; assets: Record<string, unknown>[] };
    mutate(parsed.assets);
    return JSON.stringify(parsed, null, 2);
  };

  it.each<[string, string, RegExp]>([
    [
      'truncated',
      valid.slice(0, Math.floor(valid.length / 2)),
      /packer\.registry\.json is not valid JSON at line \d+, column \d+/,
    ],
    ['a bad id', handBroken((assets) => (assets[1]!.id = 'asset-2')), /field "assets\[1\]\.id"/],
    [
      'a duplicate id',
      handBroken((assets) => (assets[1]!.id = assets[0]!.id)),
      /field "assets\[1\]\.id".*more than once/,
    ],
    ['a path with ..', handBroken((assets) => (assets[0]!.path = 'assets/../../etc/passwd')), /assets\[0\]\.path/],
    [
      'an unnormalised path',
      handBroken((assets) => (assets[0]!.path = 'assets//hero.png')),
      /assets\[0\]\.path.*not normalised/,
    ],
    ['an unknown field', handBroken((assets) => (assets[0]!.colour = 'red')), /field "assets\[0\]\.colour"/],
    ['a wrong version', valid.replace('"version":2', '"version":3'), /field "version"/],
  ])(
    '%s: INVALID_REGISTRY naming the problem, every apply refused, bytes never rewritten',
    async (_name, text, message) => {
      const root = makeTempProject(FILES);
      writeFileSync(path.join(root, 'packer.registry.json'), text);
      const before = freeze(root);
      const ws = await Workspace.open(root);
      expect(ws.snapshot.registryState).toBe('read-only');
      const problem = ws.snapshot.diagnostics.find((item) => item.code === 'INVALID_REGISTRY');
      expect(problem).toMatchObject({ severity: 'blocker', path: 'packer.registry.json' });
      expect(problem!.message).toMatch(message);
      const mutations: MutationInput[] = [
        { type: 'register', paths: ['assets'] },
        { type: 'move', from: 'assets/hero.png', to: 'assets/x.png' },
        { type: 'remove', targets: ['assets/hero.png'], deleteFiles: true },
        { type: 'update', target: 'assets/hero.png', addTags: ['x'] },
        { type: 'reconcile' },
      ];
      for (const mutation of mutations)
        expect((await packerErrorOf(ws.apply(mutation))).code).toBe('REGISTRY_READ_ONLY');
      await ws.refresh();
      await ws.reloadRegistry();
      await ws.close();
      const again = await Workspace.open(root);
      expect(again.snapshot.registryState).toBe('read-only');
      before.check();
      expect(existsSync(path.join(root, '.packer/journal.json'))).toBe(false);
    },
  );

  it('a missing registry file is an empty registry, and opening does not create one', async () => {
    const root = makeTempProject(FILES);
    const ws = await Workspace.open(root);
    expect(ws.snapshot.registryState).toBe('ok');
    expect(ws.snapshot.assets).toEqual([]);
    expect(ws.snapshot.untracked.map((file) => file.path).sort()).toEqual(Object.keys(FILES).sort());
    expect(codesOf(ws.snapshot.diagnostics)).not.toContain('INVALID_REGISTRY');
    expect(existsSync(path.join(root, 'packer.registry.json'))).toBe(false);
  });

  it('duplicate paths (two ids, one path) are DUPLICATE_PATH blockers; only removing one by id is allowed', async () => {
    const root = makeTempProject(FILES);
    const button = 'assets/ui/button.png';
    writeFileSync(path.join(root, 'packer.registry.json'), serializeRegistry([entry(id1, button), entry(id2, button)]));
    const ws = await Workspace.open(root);
    expect(ws.snapshot.registryState).toBe('ok');
    // One diagnostic for the one problem, listing both entries; each asset is badged by it.
    const duplicates = ws.snapshot.diagnostics.filter((item) => item.code === 'DUPLICATE_PATH');
    expect(duplicates).toHaveLength(1);
    expect(duplicates[0]!.subjects!.map((item) => item.assetId).sort()).toEqual([id1, id2].sort());
    expect(duplicates.every((item) => item.severity === 'blocker' && item.path === button)).toBe(true);
    expect([ws.state.byId.get(id1)?.worstSeverity, ws.state.byId.get(id2)?.worstSeverity]).toEqual([
      'blocker',
      'blocker',
    ]);
    const before = freeze(root);
    // Moving the file (by path, by either id, or with its folder) would leave the other entry pointing at nothing.
    await expectBlocked(ws, { type: 'move', from: button, to: 'assets/x.png' }, 'DUPLICATE_PATH');
    await expectBlocked(ws, { type: 'move', from: id1, to: 'assets/x.png' }, 'DUPLICATE_PATH');
    await expectBlocked(ws, { type: 'move', from: 'assets/ui', to: 'assets/interface' }, 'DUPLICATE_PATH');
    // A path names both entries: which one is meant is ambiguous.
    await expectBlocked(ws, { type: 'remove', targets: [button] }, 'DUPLICATE_PATH');
    await expectBlocked(ws, { type: 'update', target: button, addTags: ['x'] }, 'DUPLICATE_PATH');
    before.check();
    // The fix the diagnostic suggests works: remove one entry by id.
    await ws.apply({ type: 'remove', targets: [id2] });
    expect(ws.snapshot.diagnostics.filter((item) => item.code === 'DUPLICATE_PATH')).toEqual([]);
    expect(ws.state.byPath.get(button)?.id).toBe(id1);
  });
});

describe('an invalid packer.json', () => {
  async function openError(
    config: string | object,
    env: NodeJS.ProcessEnv = {},
  ): Promise<{ root: string; error: PackerError }> {
    const root = makeTempProject(FILES);
    writeFileSync(
      path.join(root, 'packer.json'),
      typeof config === 'string' ? config : JSON.stringify(config, null, 2),
    );
    const before = freeze(root);
    const error = await packerErrorOf(Workspace.open(root, { env }));
    expect(error.code).toBe('INVALID_CONFIG');
    before.check();
    expect(existsSync(path.join(root, '.packer'))).toBe(false);
    return { root, error };
  }

  it.each([
    ['a missing value', '{\n  "name": "x",\n  "assetRoots": [\n}\n', 4, 1],
    ['a trailing comma', '{\n  "name": "x",\n}\n', 3, 1],
    ['a missing colon', '{\n  "name" "x"\n}\n', 2, 10],
    ['a truncated file', '{\n  "name": "x",\n  "assetRoots": ["as', 3, 21],
  ])('bad JSON (%s): the error names the file, line and column', async (_name, text, line, column) => {
    const { root, error } = await openError(text);
    expect(error.message).toContain(path.join(root, 'packer.json'));
    expect(error.message).toContain(`line ${line}, column ${column}`);
    expect(error.data).toMatchObject({ file: path.join(root, 'packer.json'), line, column });
  });

  it.each<[string, object, string]>([
    ['a wrong type', { name: 'x', assetRoots: 'assets' }, 'assetRoots'],
    ['a wrong nested type', { name: 'x', kinds: { image: { extensions: ['png'] } } }, 'kinds.image.extensions[0]'],
    ['a missing field', { assetRoots: ['assets'] }, 'name'],
    ['an unknown field', { name: 'x', colour: 'red' }, 'colour'],
    ['an unknown nested field', { name: 'x', daemon: { idleTimeout: 5 } }, 'daemon.idleTimeout'],
    ['an asset root outside the project', { name: 'x', assetRoots: ['../elsewhere'] }, 'assetRoots[0]'],
    ['an absolute asset root', { name: 'x', assetRoots: ['/etc'] }, 'assetRoots[0]'],
    ['a build dir outside the project', { name: 'x', buildDir: '../out' }, 'buildDir'],
  ])('%s: INVALID_CONFIG names the file and the field', async (_name, config, field) => {
    const { root, error } = await openError(config);
    expect(error.data.field).toBe(field);
    expect(error.message).toContain(path.join(root, 'packer.json'));
    expect(error.message).toContain(`"${field}"`);
  });

  it('PACKER_* environment overrides take effect', async () => {
    const root = makeTempProject({ ...FILES, 'src/main.txt': 'main' });
    const ws = await Workspace.open(root, {
      env: { PACKER_ASSET_ROOTS: 'assets, src', PACKER_NAME: 'from-env', PACKER_IGNORE: '**/readme.txt' },
    });
    expect(ws.config.assetRoots).toEqual(['assets', 'src']);
    expect(ws.snapshot.projectName).toBe('from-env');
    expect(ws.snapshot.untracked.map((file) => file.path).sort()).toEqual([
      'assets/hero.png',
      'assets/ui/button.png',
      'src/main.txt',
    ]);
  });

  it.each([
    ['PACKER_IDLE_TIMEOUT_MS', 'soon', 'daemon.idleTimeoutMs'],
    ['PACKER_ASSET_ROOTS', ' , ', 'assetRoots'],
    ['PACKER_ASSET_ROOTS', '../elsewhere', 'assetRoots[0]'],
    ['PACKER_BUILD_DIR', '/tmp/out', 'buildDir'],
  ])('a bad override (%s=%j) is reported naming the variable', async (name, value, field) => {
    const { error } = await openError(TEST_CONFIG, { [name]: value });
    expect(error.message).toContain(name);
    expect(error.data.field).toBe(field);
  });

  it('reloadConfig with a broken packer.json keeps the last good config and diagnoses it', async () => {
    const { root, ws } = await registered();
    const configFile = path.join(root, 'packer.json');
    const good = readFileSync(configFile, 'utf8');
    const revision = ws.snapshot.revision;
    writeFileSync(configFile, JSON.stringify({ ...TEST_CONFIG, name: 'renamed', assetRoots: 'assets' }));
    const result = await ws.reloadConfig();
    expect(result.ok).toBe(false);
    expect(result.ok ? undefined : result.error).toMatchObject({
      code: 'INVALID_CONFIG',
      data: { field: 'assetRoots' },
    });
    expect(ws.config.name).toBe('test-project');
    expect(ws.snapshot.projectName).toBe('test-project');
    expect(ws.snapshot.revision).toBeGreaterThan(revision);
    const problem = ws.snapshot.diagnostics.find((item) => item.code === 'INVALID_CONFIG');
    expect(problem?.message).toMatch(/assetRoots.*last valid configuration stays in force/);
    // Still fully usable on the last good config.
    await ws.apply({ type: 'update', target: 'assets/hero.png', addTags: ['still-works'] });
    // Fixing the file clears the diagnostic.
    writeFileSync(configFile, good.replace('"test-project"', '"renamed"'));
    expect((await ws.reloadConfig()).ok).toBe(true);
    expect(ws.snapshot.projectName).toBe('renamed');
    expect(codesOf(ws.snapshot.diagnostics)).not.toContain('INVALID_CONFIG');
  });
});

describe('invalid mutation shapes', () => {
  it.each<[string, unknown, string]>([
    ['unknown type', { type: 'rename', from: 'a', to: 'b' }, 'type'],
    ['missing field', { type: 'move', from: 'assets/hero.png' }, 'to'],
    ['empty list', { type: 'register', paths: [] }, 'paths'],
    ['unknown field', { type: 'remove', targets: ['assets/hero.png'], force: true }, 'force'],
    [
      'nested setting',
      { type: 'update', target: 'assets/hero.png', settings: { maxSize: { value: 1 } } },
      'settings.maxSize',
    ],
    ['not an object', 'move assets/hero.png', '(root)'],
    ['null', null, '(root)'],
  ])(
    '%s → INVALID_PARAMS naming the field, from preview and (as a rejection) from apply',
    async (_name, input, field) => {
      const { root, ws } = await registered();
      const before = freeze(root);
      const auditBefore = ws.audit.list().length;
      let previewError: unknown;
      try {
        ws.preview(input);
      } catch (error) {
        previewError = error;
      }
      expect(previewError).toMatchObject({ code: 'INVALID_PARAMS' });
      const error = await packerErrorOf(Promise.resolve().then(() => ws.apply(input)));
      expect(error.code).toBe('INVALID_PARAMS');
      expect((error.data.issues as { path: string }[]).map((issue) => issue.path)).toContain(field);
      // apply is async all the way: a bad shape is a rejected promise, never a synchronous throw.
      let thrownSynchronously = false;
      try {
        void ws.apply(input).catch(() => undefined);
      } catch {
        thrownSynchronously = true;
      }
      expect(thrownSynchronously).toBe(false);
      before.check();
      expect(ws.audit.list()).toHaveLength(auditBefore);
    },
  );
});

describe('a move onto something the scan does not track', () => {
  it('an existing empty folder as target: the file goes into it, as `mv` does (never replaces the folder)', async () => {
    const { root, ws } = await registered();
    mkdirSync(path.join(root, 'assets/empty'));
    const hero = ws.state.byPath.get('assets/hero.png')!;
    await ws.apply({ type: 'move', from: 'assets/hero.png', to: 'assets/empty' });
    expect(existsSync(path.join(root, 'assets/empty/hero.png'))).toBe(true);
    expect(ws.state.byId.get(hero.id)?.path).toBe('assets/empty/hero.png');
    expect(ws.snapshot.divergence).toEqual([]);
    expect(existsSync(path.join(root, '.packer/journal.json'))).toBe(false);
  });

  it('an ignored file as target: refused, the ignored file is not overwritten', async () => {
    const { root, ws } = await registered();
    writeFileSync(path.join(root, 'assets/scratch.tmp'), 'ignored but precious');
    const before = freeze(root);
    await packerErrorOf(ws.apply({ type: 'move', from: 'assets/readme.txt', to: 'assets/scratch.tmp' }));
    before.check();
    expect(ws.snapshot.divergence).toEqual([]);
  });
});
