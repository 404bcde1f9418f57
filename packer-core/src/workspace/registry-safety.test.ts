import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../contract/diagnostics.js';
import { PackerError } from '../contract/errors.js';
import type { MutationInput } from '../contract/mutation-schema.js';
import { newAssetId } from '../ids/asset-id.js';
import { parseRegistry, serializeRegistry } from '../registry/registry-codec.js';
import { readRegistryText } from '../testing/project-state.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from './workspace.js';
import { packerErrorOf } from '../testing/packer-error-of.js';

// "The packer never writes a registry it would refuse to read": odd file names, read-only registries, failed
// renames and reserved setting keys, each end to end through the Workspace API on real temp projects.

const REGISTRY = 'packer.registry.json';

/** Every entry under the project except `.packer/`, by raw name (hex when not UTF-8) → bytes, so odd names compare
 * too. */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (absolute: Buffer, shown: string): void => {
    for (const raw of readdirSync(absolute, { encoding: 'buffer' })) {
      const name = raw.toString('utf8');
      const label = Buffer.from(name, 'utf8').equals(raw) ? name : `hex:${raw.toString('hex')}`;
      const child = shown ? `${shown}/${label}` : label;
      if (child === '.packer') continue;
      const full = Buffer.concat([absolute, Buffer.from(path.sep), raw]);
      if (statSync(full).isDirectory()) walk(full, child);
      else out[child] = readFileSync(full).toString('base64');
    }
  };
  walk(Buffer.from(root), '');
  return out;
}

/** Files (by raw name) and registry bytes now; `check()` asserts none of it changed, and the registry still reads. */
function freeze(root: string): { check(): void } {
  const files = tree(root);
  const registry = readRegistryText(root);
  return {
    check() {
      expect(tree(root)).toEqual(files);
      expect(readRegistryText(root)).toBe(registry);
      if (registry !== null) expect(() => parseRegistry(registry, REGISTRY, root)).not.toThrow();
    },
  };
}

async function expectBlocked(ws: Workspace, mutation: MutationInput, code: string): Promise<Diagnostic[]> {
  expect(ws.preview(mutation).blockers.map((item) => item.code)).toContain(code);
  const error = await packerErrorOf(ws.apply(mutation));
  expect(error.code).toBe('BLOCKED');
  const blockers = error.data.blockers as Diagnostic[];
  expect(blockers.map((item) => item.code)).toContain(code);
  return blockers;
}

function unsupported(ws: Workspace): Diagnostic[] {
  return ws.snapshot.diagnostics.filter((item) => item.code === 'UNSUPPORTED_FILE_NAME');
}

function rawPath(root: string, relativeDir: string, name: number[]): Buffer {
  return Buffer.concat([Buffer.from(path.join(root, relativeDir) + path.sep), Buffer.from(name)]);
}

describe('file names the registry cannot hold', () => {
  it('a backslash name: reported, never untracked; registering its folder or reconciling adopts the rest with a warning, and the registry stays readable', async () => {
    const root = makeTempProject({ 'assets/text/ok.txt': 'ok', 'assets/text/a\\b.txt': 'x' });
    const ws = await Workspace.open(root);
    expect(ws.snapshot.untracked.map((file) => file.path)).toEqual(['assets/text/ok.txt']);
    const [reported] = unsupported(ws);
    expect(reported).toMatchObject({ severity: 'warning', path: 'assets/text/a\\\\b.txt' });
    expect(reported!.message).toContain('backslash');

    const before = freeze(root);
    // Registering its folder or reconciling adopts the good file and names the odd one in a warning (QA finding 6).
    const folder = ws.preview({ type: 'register', paths: ['assets/text'] });
    expect(folder.blockers).toEqual([]);
    expect(folder.registryMutations.map((item) => item.op === 'add' && item.entry.path)).toEqual([
      'assets/text/ok.txt',
    ]);
    expect(folder.warnings.find((item) => item.code === 'UNSUPPORTED_FILE_NAME')).toMatchObject({
      path: 'assets/text/a\\\\b.txt',
      hint: expect.stringMatching(/rename/i),
    });
    expect(ws.preview({ type: 'reconcile' }).warnings.map((item) => item.path)).toContain('assets/text/a\\\\b.txt');
    // Naming the file itself says why too, rather than reading the backslash as a folder and finding nothing.
    await expectBlocked(ws, { type: 'register', paths: ['assets/text/a\\b.txt'] }, 'INVALID_PATH');
    before.check();
    await ws.close();

    const reopened = await Workspace.open(root);
    expect(reopened.snapshot.registryState).toBe('ok');
    // Renamed, it registers normally.
    renameSync(path.join(root, 'assets/text/a\\b.txt'), path.join(root, 'assets/text/a-b.txt'));
    await reopened.refresh();
    expect(unsupported(reopened)).toEqual([]);
    await reopened.apply({ type: 'register', paths: ['assets/text'] });
    expect(reopened.snapshot.summary.assets).toBe(2);
    await reopened.close();
    const again = await Workspace.open(root);
    expect(again.snapshot.registryState).toBe('ok');
    expect(again.snapshot.assets.map((asset) => asset.path).sort()).toEqual([
      'assets/text/a-b.txt',
      'assets/text/ok.txt',
    ]);
    await again.close();
  });

  it('control characters (C0, DEL, C1) are reported with the name escaped, and are left out of a folder add with a warning', async () => {
    const root = makeTempProject({
      'assets/ok.txt': 'ok',
      'assets/bell\x07.txt': 'b',
      'assets/del\x7f.txt': 'd',
      'assets/nel\u0085.txt': 'n',
      'assets/esc\x1b[31m.txt': 'e',
    });
    const ws = await Workspace.open(root);
    expect(
      unsupported(ws)
        .map((item) => item.path)
        .sort(),
    ).toEqual(['assets/bell\\x07.txt', 'assets/del\\x7f.txt', 'assets/esc\\x1b[31m.txt', 'assets/nel\\u0085.txt']);
    for (const item of unsupported(ws)) expect(item.message).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(ws.snapshot.untracked.map((file) => file.path)).toEqual(['assets/ok.txt']);
    const before = freeze(root);
    for (const mutation of [
      { type: 'register', paths: ['assets'] },
      { type: 'reconcile', include: ['adopt'] },
    ] as const) {
      const plan = ws.preview(mutation);
      expect(plan.blockers).toEqual([]);
      expect(plan.warnings.filter((item) => item.code === 'UNSUPPORTED_FILE_NAME')).toHaveLength(4);
      for (const item of plan.warnings) expect(item.message).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    }
    before.check();
    // Registering only the good file works and leaves a registry the packer reads back.
    await ws.apply({ type: 'register', paths: ['assets/ok.txt'] });
    // A move can never give a registered file such a name either.
    await expectBlocked(ws, { type: 'move', from: 'assets/ok.txt', to: 'assets/o\x01k.txt' }, 'INVALID_PATH');
    await ws.close();
    const reopened = await Workspace.open(root);
    expect(reopened.snapshot.registryState).toBe('ok');
    expect(reopened.snapshot.assets.map((asset) => asset.path)).toEqual(['assets/ok.txt']);
    await reopened.close();
  });

  it('names that are not valid UTF-8 are reported (not silently invisible), files and folders alike', async () => {
    const root = makeTempProject({ 'assets/ok.txt': 'ok', 'assets/real\uFFFD.txt': 'a valid name holding U+FFFD' });
    writeFileSync(rawPath(root, 'assets', [0x66, 0xff, 0x2e, 0x74, 0x78, 0x74]), 'latin-1 name'); // "f\xff.txt"
    mkdirSync(rawPath(root, 'assets', [0x64, 0xe9, 0x6a, 0xe0])); // "d\xe9j\xe0"
    writeFileSync(
      Buffer.concat([rawPath(root, 'assets', [0x64, 0xe9, 0x6a, 0xe0]), Buffer.from('/inner.txt')]),
      'inside',
    );
    const ws = await Workspace.open(root);
    const reported = unsupported(ws);
    expect(reported.map((item) => item.path).sort()).toEqual(['assets/d\\xe9j\\xe0', 'assets/f\\xff.txt']);
    expect(reported.find((item) => item.path === 'assets/d\\xe9j\\xe0')!.message).toMatch(/folder/);
    expect(reported[0]!.message).toContain('UTF-8');
    // A name that is valid UTF-8 stays an ordinary file, U+FFFD or not.
    expect(ws.snapshot.untracked.map((file) => file.path).sort()).toEqual(['assets/ok.txt', 'assets/real\uFFFD.txt']);
    const before = freeze(root);
    expect(
      ws
        .preview({ type: 'register', paths: ['assets'] })
        .warnings.map((item) => item.path)
        .sort(),
    ).toEqual(['assets/d\\xe9j\\xe0', 'assets/f\\xff.txt']);
    before.check();
    await ws.apply({ type: 'register', paths: ['assets'] });
    await ws.close();
    const reopened = await Workspace.open(root);
    expect(reopened.snapshot.registryState).toBe('ok');
    expect(reopened.snapshot.summary.assets).toBe(2);
    await reopened.close();
  });

  it('a rescan of the named path keeps the report current: gone when the file is renamed or deleted', async () => {
    const root = makeTempProject({ 'assets/ok.txt': 'ok' });
    const ws = await Workspace.open(root);
    writeFileSync(path.join(root, 'assets/a\\b.txt'), 'x');
    await ws.refresh(['assets/a\\b.txt']);
    expect(unsupported(ws).map((item) => item.path)).toEqual(['assets/a\\\\b.txt']);
    rmSync(path.join(root, 'assets/a\\b.txt'));
    await ws.refresh(['assets/a\\b.txt']);
    expect(unsupported(ws)).toEqual([]);
    const latin = rawPath(root, 'assets', [0x66, 0xff]);
    writeFileSync(latin, 'x');
    // A watcher reports such a name decoded lossily; the scan looks at the folder that holds it instead.
    await ws.refresh(['assets/f\uFFFD']);
    expect(unsupported(ws).map((item) => item.path)).toEqual(['assets/f\\xff']);
    rmSync(latin);
    await ws.refresh(['assets/f\uFFFD']);
    expect(unsupported(ws)).toEqual([]);
    expect(ws.snapshot.untracked.map((file) => file.path)).toEqual(['assets/ok.txt']);
    await ws.close();
  });
});

describe('registry file mode and failed writes', () => {
  it('a 0444 registry is refused with REGISTRY_READ_ONLY before anything changes, and stays 0444', async () => {
    const root = makeTempProject({ 'assets/a.txt': 'a', 'assets/b.txt': 'b' });
    const ws = await Workspace.open(root);
    await ws.apply({ type: 'register', paths: ['assets/a.txt'] });
    chmodSync(path.join(root, REGISTRY), 0o444);
    const before = freeze(root);
    for (const mutation of [
      { type: 'register', paths: ['assets/b.txt'] },
      { type: 'move', from: 'assets/a.txt', to: 'assets/c.txt' },
    ] as MutationInput[]) {
      const error = await packerErrorOf(ws.apply(mutation));
      expect(error.code).toBe('REGISTRY_READ_ONLY');
      expect(String(error.data.hint)).toMatch(/chmod/);
    }
    before.check();
    expect(statSync(path.join(root, REGISTRY)).mode & 0o777).toBe(0o444);
    expect(readdirSync(path.join(root, '.packer'))).not.toContain('journal.json');
    // Made writable again, the same apply goes through.
    chmodSync(path.join(root, REGISTRY), 0o644);
    await ws.apply({ type: 'register', paths: ['assets/b.txt'] });
    expect(ws.snapshot.summary.assets).toBe(2);
    await ws.close();
  });

  it('a replaced registry keeps its permission bits', async () => {
    const root = makeTempProject({ 'assets/a.txt': 'a', 'assets/b.txt': 'b' });
    const ws = await Workspace.open(root);
    await ws.apply({ type: 'register', paths: ['assets/a.txt'] });
    chmodSync(path.join(root, REGISTRY), 0o640);
    await ws.apply({ type: 'register', paths: ['assets/b.txt'] });
    expect(statSync(path.join(root, REGISTRY)).mode & 0o777).toBe(0o640);
    await ws.close();
  });

  it('a rename that fails leaves no temp file in the project root', async () => {
    const root = makeTempProject({ 'assets/a.txt': 'a' });
    const ws = await Workspace.open(root, {
      // Between the journal and the registry write, something puts a folder where the registry goes.
      commitHook: (point) => {
        if (point !== 'journal-written') return;
        rmSync(path.join(root, REGISTRY), { force: true });
        mkdirSync(path.join(root, REGISTRY));
        writeFileSync(path.join(root, REGISTRY, 'keep'), 'x');
      },
    });
    await packerErrorOf(ws.apply({ type: 'register', paths: ['assets/a.txt'] }));
    expect(readdirSync(root).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    await ws.close().catch(() => undefined);
  });
});

describe('reserved setting keys', () => {
  it.each(['__proto__', 'constructor', 'prototype'])(
    '%s as a setting key is refused at the edge with INVALID_PARAMS',
    async (key) => {
      const root = makeTempProject({ 'assets/hero.png': 'png' });
      const ws = await Workspace.open(root);
      await ws.apply({ type: 'register', paths: ['assets'] });
      const before = freeze(root);
      const mutation = JSON.parse(
        `{"type":"update","target":"assets/hero.png","settings":{"${key}":true,"premultiply":true}}`,
      ) as unknown;
      expect(() => ws.preview(mutation)).toThrow(PackerError);
      const error = await packerErrorOf(ws.apply(mutation));
      expect(error.code).toBe('INVALID_PARAMS');
      expect(error.message).toContain(`settings.${key}`);
      expect(error.message).toMatch(/reserved/);
      before.check();
      await ws.close();
    },
  );

  it('a registry holding a "__proto__" setting is reported as invalid, never silently rewritten without it', async () => {
    const root = makeTempProject({ 'assets/hero.png': 'png', 'assets/other.png': 'png2' });
    const id = newAssetId();
    const text = serializeRegistry([
      { id, path: 'assets/hero.png', kind: 'image', settings: { premultiply: true }, tags: [] },
    ]).replace('"premultiply":true', '"__proto__":true,"premultiply":true');
    expect(text).toContain('"__proto__"');
    writeFileSync(path.join(root, REGISTRY), text);
    const ws = await Workspace.open(root);
    expect(ws.snapshot.registryState).toBe('read-only');
    const invalid = ws.snapshot.diagnostics.find((item) => item.code === 'INVALID_REGISTRY');
    expect(invalid?.message).toContain('__proto__');
    const error = await packerErrorOf(ws.apply({ type: 'register', paths: ['assets/other.png'] }));
    expect(error.code).toBe('REGISTRY_READ_ONLY');
    expect(readRegistryText(root)).toBe(text);
    await ws.close();
  });
});
