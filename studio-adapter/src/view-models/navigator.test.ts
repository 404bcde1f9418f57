import { describe, expect, it } from 'vitest';
import type { AssetView, UntrackedFile } from '@packer/core/contract';
import { navigatorRows, type NavigatorAssetRow } from './navigator.js';

const observation = { size: 1, mtimeMs: 0 };
const asset = (id: string, path: string, extra: Partial<AssetView> = {}): AssetView => ({
  id,
  path,
  kind: 'image',
  settings: {},
  tags: [],
  status: 'present',
  observation,
  ...extra,
});
const untracked = (path: string): UntrackedFile => ({ path, kind: 'text', observation });

describe('navigatorRows', () => {
  const snapshot = {
    assets: [
      asset('a_2', 'assets/sprites/hero.png'),
      asset('a_1', 'assets/sprites/enemies/bat.png', {
        status: 'missing',
        observation: undefined,
        worstSeverity: 'blocker',
      }),
      asset('a_3', 'assets/readme.png', { worstSeverity: 'warning' }),
    ],
    untracked: [untracked('assets/sprites/notes.txt')],
  };

  it('derives folders from path segments, folders first, then files, by name, with depth', () => {
    expect(
      navigatorRows(snapshot).map(
        (row) => `${'  '.repeat(row.depth)}${row.type === 'folder' ? `${row.name}/` : row.name}`,
      ),
    ).toEqual([
      'assets/',
      '  sprites/',
      '    enemies/',
      '      bat.png',
      '    hero.png',
      '    notes.txt',
      '  readme.png',
    ]);
  });

  it("takes status and badges from the packer's status and worstSeverity", () => {
    const rows = navigatorRows(snapshot).filter((row): row is NavigatorAssetRow => row.type === 'asset');
    const byName = Object.fromEntries(rows.map((row) => [row.name, row]));
    expect(byName['bat.png']).toMatchObject({
      key: 'asset:a_1',
      assetId: 'a_1',
      status: 'missing',
      severity: 'blocker',
      badges: ['missing', 'blocker'],
    });
    expect(byName['hero.png']).toMatchObject({ status: 'present', badges: [] });
    expect(byName['hero.png']!.severity).toBeUndefined();
    expect(byName['readme.png']).toMatchObject({ severity: 'warning', badges: ['warning'] });
    expect(byName['notes.txt']).toMatchObject({
      key: 'untracked:assets/sprites/notes.txt',
      status: 'untracked',
      badges: ['untracked'],
    });
    expect(byName['notes.txt']!.assetId).toBeUndefined();
  });

  it('hides the contents of collapsed folders', () => {
    const rows = navigatorRows(snapshot, { collapsed: new Set(['assets/sprites']) });
    expect(rows.map((row) => row.path)).toEqual(['assets', 'assets/sprites', 'assets/readme.png']);
    expect(rows[1]).toMatchObject({ type: 'folder', expanded: false });
  });

  it('keeps every entry the packer reports, even two claiming one path', () => {
    const rows = navigatorRows({ assets: [asset('a_9', 'x.png'), asset('a_8', 'x.png')], untracked: [] });
    expect(rows.map((row) => row.key)).toEqual(['asset:a_8', 'asset:a_9']);
  });
});
