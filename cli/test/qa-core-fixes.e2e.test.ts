import { cpSync, mkdirSync, readFileSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import { fixturePath, writeEngineFixture } from '@packer/fixtures';
import type { Plan } from '@packer/core/contract';
import { packer } from './support/packer-bin.js';
import { disposeProject, emptyFolder } from './support/temp-project.js';

// Findings of the core QA pass (h4), reproduced as the user met them: through the real bin and the project daemon.

const TIMEOUT = 90_000;
type Check = { items: { code: string; severity: string; path?: string; message: string; hint?: string }[] };

async function sampleGame(onFinished: Parameters<typeof emptyFolder>[0]): Promise<string> {
  const root = await emptyFolder(onFinished);
  const source = fixturePath('sample-game');
  cpSync(source, root, { recursive: true, filter: (item) => !item.startsWith(path.join(source, '.packer')) });
  return root;
}

function editConfig(root: string, edit: (config: Record<string, unknown>) => void): void {
  const file = path.join(root, 'packer.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(config);
  writeFileSync(file, JSON.stringify(config, null, 2));
}

describe.concurrent('core QA findings (real bin, daemon)', { timeout: TIMEOUT }, () => {
  test('an asset root that does not exist is a warning naming it, gone once the folder exists', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await sampleGame(onTestFinished);
    editConfig(root, (config) => (config.assetRoots = ['assets', 'nope']));
    const missing = (run: { json<T>(): T }): Check['items'] =>
      run.json<Check>().items.filter((item) => item.code === 'ASSET_ROOT_MISSING');

    const before = await packer(root, ['check', '--json']);
    expect(missing(before)).toEqual([
      expect.objectContaining({ severity: 'warning', path: 'nope', message: expect.stringContaining('"nope"') }),
    ]);
    expect(missing(before)[0]!.hint).toMatch(/Create the folder nope\/.*assetRoots/);
    const text = await packer(root, ['check']);
    expect(text.stdout).toMatch(/warning ASSET_ROOT_MISSING .*"nope"/);
    expect(text.stdout).toContain('1 warning');

    // Created empty (no file changes), the root is seen; deleted again, the warning is back.
    mkdirSync(path.join(root, 'nope'));
    expect(missing(await packer(root, ['check', '--json']))).toEqual([]);
    rmdirSync(path.join(root, 'nope'));
    expect(missing(await packer(root, ['check', '--json']))).toHaveLength(1);

    // A file where the root should be: the same warning, and the daemon's synced read does not try to write its
    // watcher cookie into it (that failed every read command with ENOTDIR).
    writeFileSync(path.join(root, 'nope'), 'not a folder\n');
    const file = await packer(root, ['check', '--json']);
    expect(file.code, file.stdout + file.stderr).toBe(0);
    expect(missing(file)).toEqual([expect.objectContaining({ message: expect.stringContaining('is not a folder') })]);
    expect((await packer(root, ['status'])).code).toBe(0);
  });

  test('engine-shaped configs (packer init) do not warn about their default roots', async ({
    expect,
    onTestFinished,
  }) => {
    for (const engine of ['godot-game', 'unity-game'] as const) {
      const root = writeEngineFixture(engine);
      onTestFinished(() => disposeProject(root));
      expect((await packer(root, ['init'])).code).toBe(0);
      const check = await packer(root, ['check', '--json']);
      expect(check.json<Check>().items.filter((item) => item.code === 'ASSET_ROOT_MISSING')).toEqual([]);
    }
  });

  test('tags are identifiers: NFC and NFD are one tag, spaces are trimmed, ls --tag finds them', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await sampleGame(onTestFinished);
    const hills = 'assets/backgrounds/hills.png';
    const set = await packer(root, [
      'set',
      hills,
      '--tag',
      'caf\u00e9',
      '--tag',
      'cafe\u0301',
      '--tag',
      ' x ',
      '--yes',
    ]);
    expect(set.code, set.stderr).toBe(0);
    const shown = await packer(root, ['show', hills, '--json']);
    expect(shown.json<{ asset: { tags: string[] } }>().asset.tags).toEqual(['caf\u00e9', 'x']);
    for (const tag of ['x', ' x', 'cafe\u0301', 'caf\u00e9']) {
      const listed = await packer(root, ['ls', '--tag', tag]);
      expect(listed.stdout, tag).toContain(hills);
    }
    const refused = await packer(root, ['set', hills, '--tag', 'a\tb', '--yes']);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toMatch(/INVALID_TAG .*control character U\+0009/);
  });

  test('an unreadable registry shows unknown counts in status and ls, never "0 assets"', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await sampleGame(onTestFinished);
    const registryFile = path.join(root, 'packer.registry.json');
    const good = readFileSync(registryFile, 'utf8');
    const registry = JSON.parse(good) as { version: number; assets: { id: string; path: string }[] };
    const [first, second] = registry.assets;
    const damaged = {
      truncated: ['{"version":2,"assets":[\n', /not valid JSON/],
      conflicted: [`<<<<<<< ours\n${good}=======\n${good}>>>>>>> theirs\n`, /conflict/i],
      duplicateId: [
        JSON.stringify({ ...registry, assets: [...registry.assets, { ...second!, id: first!.id }] }, null, 2),
        /appears more than once/,
      ],
    } as const;
    for (const [name, [text, reason]] of Object.entries(damaged)) {
      writeFileSync(registryFile, text);
      const status = await packer(root, ['status']);
      expect(status.stdout, name).toContain('registry read-only');
      expect(status.stdout, name).toMatch(/^assets: unknown \(the registry cannot be read: .+\)$/m);
      expect(status.stdout, name).not.toMatch(/assets: 0|0 present|0 untracked/);
      const json = (await packer(root, ['status', '--json'])).json<{
        summary: { summary: { registryUnreadable?: { reason: string } } };
      }>();
      expect(json.summary.summary.registryUnreadable?.reason, name).toMatch(reason);
      const ls = await packer(root, ['ls']);
      expect(ls.stdout, name).toMatch(/^Assets unknown: the registry cannot be read: /);
      expect(ls.stdout, name).not.toContain('No matching assets');
      expect(
        (await packer(root, ['ls', '--json'])).json<{ registryUnreadable?: unknown }>().registryUnreadable,
      ).toBeDefined();
    }
    // Repaired, the counts are back and the field is gone.
    writeFileSync(registryFile, good);
    const status = await packer(root, ['status', '--json']);
    expect(status.json<{ summary: { summary: Record<string, unknown> } }>().summary.summary).not.toHaveProperty(
      'registryUnreadable',
    );
    expect((await packer(root, ['status'])).stdout).toMatch(/^assets: \d+ \(/m);
  });

  test('a folder add reports every link pointing outside in one preview, and adds the files beside them', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await sampleGame(onTestFinished);
    mkdirSync(path.join(root, 'assets/odd'));
    cpSync(path.join(root, 'assets/text/credits.md'), path.join(root, 'assets/odd/ok.md'));
    symlinkSync('/etc/passwd', path.join(root, 'assets/odd/outside.txt'));
    symlinkSync('/etc', path.join(root, 'assets/odd/outdir'));
    const dry = await packer(root, ['add', 'assets/odd', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = dry.json<{ plan: Plan }>().plan;
    expect(plan.blockers).toEqual([]);
    expect(plan.warnings.filter((item) => item.code === 'OUTSIDE_LINK_SKIPPED').map((item) => item.path)).toEqual([
      'assets/odd/outdir',
      'assets/odd/outside.txt',
    ]);
    expect(plan.registryMutations.map((item) => item.op === 'add' && item.entry.path)).toEqual(['assets/odd/ok.md']);
    const text = await packer(root, ['add', 'assets/odd', '--yes']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/OUTSIDE_LINK_SKIPPED .*assets\/odd\/outdir/);
    expect(text.stdout).toMatch(/OUTSIDE_LINK_SKIPPED .*assets\/odd\/outside\.txt/);
    // Named itself, a link is still refused.
    const named = await packer(root, ['add', 'assets/odd/outside.txt', '--dry-run']);
    expect(named.code).not.toBe(0);
    expect(named.stdout).toMatch(/blocker PATH_OUTSIDE_PROJECT/);
  });
});
