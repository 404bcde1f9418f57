import { describe, expect, it } from 'vitest';
import type { MethodResult, Plan } from '@packer/core/contract';
import { assetDetails } from './asset-details.js';
import { diagnosticsPanel } from './diagnostics-panel.js';
import { mutationPreviewPanel } from './mutation-preview.js';

const entry = (id: string, path: string) => ({ id, path, kind: 'image', settings: {}, tags: [] });

describe('mutation preview panel', () => {
  it('shows blockers, warnings, registry and filesystem mutations exactly as planned, in order', () => {
    const plan: Plan = {
      mutation: { type: 'move', from: 'assets/a', to: 'assets/b' },
      baseRevision: 7,
      blockers: [
        { code: 'TARGET_EXISTS', severity: 'blocker', path: 'assets/b/x.png', message: 'exists', hint: 'pick another' },
      ],
      warnings: [{ code: 'CASE_COLLISION', severity: 'warning', path: 'assets/B', message: 'case' }],
      registryMutations: [
        { op: 'update', before: entry('a_1', 'assets/a/x.png'), after: entry('a_1', 'assets/b/x.png') },
        { op: 'add', entry: entry('a_2', 'assets/b/y.png') },
        { op: 'remove', entry: entry('a_3', 'assets/a/z.png') },
      ],
      filesystemMutations: [
        { op: 'move', from: 'assets/a/x.png', to: 'assets/b/x.png' },
        { op: 'delete', path: 'assets/a/z.png' },
      ],
    };
    const panel = mutationPreviewPanel(plan);
    expect(panel).toMatchObject({ baseRevision: 7, blocked: true, mutation: plan.mutation });
    expect(panel.blockers).toEqual([
      {
        key: expect.any(String),
        code: 'TARGET_EXISTS',
        severity: 'blocker',
        path: 'assets/b/x.png',
        message: 'exists',
        hint: 'pick another',
        subjects: [{ path: 'assets/b/x.png' }],
      },
    ]);
    expect(panel.warnings.map((row) => row.code)).toEqual(['CASE_COLLISION']);
    expect(panel.registryRows.map((row) => row.planned)).toEqual(plan.registryMutations);
    expect(
      panel.registryRows.map(({ op, assetId, path, previousPath }) => ({ op, assetId, path, previousPath })),
    ).toEqual([
      { op: 'update', assetId: 'a_1', path: 'assets/b/x.png', previousPath: 'assets/a/x.png' },
      { op: 'add', assetId: 'a_2', path: 'assets/b/y.png', previousPath: undefined },
      { op: 'remove', assetId: 'a_3', path: 'assets/a/z.png', previousPath: undefined },
    ]);
    expect(panel.filesystemRows.map((row) => row.planned)).toEqual(plan.filesystemMutations);
    expect(panel.filesystemRows.map(({ op, path, to }) => ({ op, path, to }))).toEqual([
      { op: 'move', path: 'assets/a/x.png', to: 'assets/b/x.png' },
      { op: 'delete', path: 'assets/a/z.png', to: undefined },
    ]);
  });
});

describe('diagnostics panel', () => {
  it("groups by the packer's severity, with the packer's counts", () => {
    const result: MethodResult<'diagnostics.list'> = {
      revision: 3,
      items: [
        { code: 'UNTRACKED_FILE', severity: 'info', path: 'assets/new.png', message: 'untracked' },
        { code: 'MISSING_FILE', severity: 'blocker', assetId: 'a_1', path: 'assets/gone.png', message: 'missing' },
        { code: 'MOVED_OUTSIDE', severity: 'blocker', assetId: 'a_2', message: 'moved' },
      ],
      blockers: 2,
      warnings: 0,
      infos: 1,
    };
    const panel = diagnosticsPanel(result);
    expect(panel.revision).toBe(3);
    expect(panel.groups.map((group) => [group.severity, group.total, group.rows.map((row) => row.code)])).toEqual([
      ['blocker', 2, ['MISSING_FILE', 'MOVED_OUTSIDE']],
      ['warning', 0, []],
      ['info', 1, ['UNTRACKED_FILE']],
    ]);
  });
});

describe('asset details', () => {
  it('translates assets.get: path parts, observation, sorted settings, tags and diagnostics', () => {
    const details = assetDetails({
      revision: 5,
      asset: {
        ...entry('a_1', 'assets/sprites/hero.png'),
        settings: { premultiply: true, maxSize: 512 },
        tags: ['ui'],
        status: 'present',
        observation: { size: 10, mtimeMs: 0, digest: 'abc' },
        worstSeverity: 'warning',
      },
      diagnostics: [{ code: 'CASE_COLLISION', severity: 'warning', assetId: 'a_1', message: 'case' }],
    });
    expect(details).toMatchObject({
      revision: 5,
      id: 'a_1',
      name: 'hero.png',
      folder: 'assets/sprites',
      status: 'present',
      severity: 'warning',
      badges: ['warning'],
      observation: { size: 10, modifiedAt: '1970-01-01T00:00:00.000Z', digest: 'abc' },
      settings: [
        { key: 'maxSize', value: 512 },
        { key: 'premultiply', value: true },
      ],
      tags: ['ui'],
    });
    expect(details.diagnostics.map((row) => row.code)).toEqual(['CASE_COLLISION']);
  });

  it('a missing asset has no observation and a missing badge', () => {
    const details = assetDetails({
      revision: 1,
      asset: { ...entry('a_1', 'top.png'), status: 'missing', worstSeverity: 'blocker' },
      diagnostics: [],
    });
    expect(details.observation).toBeUndefined();
    expect(details.folder).toBe('');
    expect(details.badges).toEqual(['missing', 'blocker']);
  });
});

describe('a diagnostic about several assets', () => {
  it('is one row listing every subject the packer named, the first one also as assetId/path', () => {
    const subjects = [
      { assetId: 'a_1', path: 'assets/a.txt' },
      { assetId: 'a_2', path: 'more/a.txt' },
    ];
    const plan: Plan = {
      mutation: { type: 'reconcile' },
      baseRevision: 2,
      blockers: [
        {
          code: 'DUPLICATE_OUTPUT',
          severity: 'blocker',
          ...subjects[0]!,
          subjects,
          message: 'Pack "all" would hold 2 entries named "a.txt"',
        },
      ],
      warnings: [],
      registryMutations: [],
      filesystemMutations: [],
    };
    const rows = mutationPreviewPanel(plan).blockers;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ assetId: 'a_1', path: 'assets/a.txt', subjects });
  });
});
