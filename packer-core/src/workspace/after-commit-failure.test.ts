import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuditLog } from '../audit/audit-log.js';
import type { AuditRecord } from '../contract/mutation-schema.js';
import { readRegistryText } from '../testing/project-state.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from './workspace.js';
import { WorkspaceObserver } from './workspace-observer.js';

const FILES = { 'assets/a.txt': 'a', 'assets/b.txt': 'b' };

afterEach(() => {
  vi.restoreAllMocks();
});

async function withOneAsset(): Promise<{ root: string; ws: Workspace }> {
  const root = makeTempProject(FILES);
  const ws = await Workspace.open(root);
  await ws.apply({ type: 'register', paths: ['assets/a.txt'] });
  return { root, ws };
}

const MOVE = { type: 'move', from: 'assets/a.txt', to: 'assets/moved/a.txt' } as const;

/** The audit records of one operation, read back from the log. */
function auditOf(ws: Workspace, operationId: string): AuditRecord[] {
  return ws.audit.page({ limit: 10, operationId }).items;
}

describe('an apply that fails after its commit point', () => {
  it('is completed with an AFTER_COMMIT_FAILED warning when refreshing the snapshot throws, and is not applied twice', async () => {
    const { root, ws } = await withOneAsset();
    vi.spyOn(WorkspaceObserver.prototype, 'publishCommit').mockRejectedValueOnce(
      new RangeError('Maximum call stack size exceeded'),
    );

    const result = await ws.apply(MOVE, { idempotencyKey: 'move-a' });

    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: 'AFTER_COMMIT_FAILED',
        severity: 'warning',
        message: expect.stringMatching(/was committed, but refreshing the snapshot failed: .*Maximum call stack/),
        hint: expect.stringContaining('do not apply it again'),
      }),
    ]);
    // The change happened: files and registry, and the audit says applied (never failed).
    expect(existsSync(path.join(root, 'assets/moved/a.txt'))).toBe(true);
    expect(existsSync(path.join(root, 'assets/a.txt'))).toBe(false);
    expect(readRegistryText(root)).toContain('assets/moved/a.txt');
    expect(auditOf(ws, result.operationId).map((record) => record.result)).toEqual(['applied']);
    // A retry with the same key is answered from the first result; the registry still shows the move.
    const retry = await ws.apply(MOVE, { idempotencyKey: 'move-a' });
    expect(retry).toMatchObject({ operationId: result.operationId, replayed: true });
    // The snapshot still catches up with the committed change.
    expect(ws.snapshot.assets.map((asset) => [asset.path, asset.status])).toContainEqual([
      'assets/moved/a.txt',
      'present',
    ]);
    await ws.close();
  });

  it('is completed with a warning when recording it (audit) throws, and is recorded once', async () => {
    const { root, ws } = await withOneAsset();
    const append = AuditLog.prototype.append;
    let thrown = 0;
    vi.spyOn(AuditLog.prototype, 'append').mockImplementation(function (this: AuditLog, record: AuditRecord) {
      if (record.result === 'applied' && thrown++ === 0) throw new Error('audit disk gone');
      append.call(this, record);
    });

    const result = await ws.apply(MOVE);

    expect(result.warnings?.map((warning) => warning.code)).toEqual(['AFTER_COMMIT_FAILED']);
    expect(result.warnings?.[0]?.message).toContain('audit disk gone');
    expect(readRegistryText(root)).toContain('assets/moved/a.txt');
    expect(existsSync(path.join(root, 'assets/moved/a.txt'))).toBe(true);
    expect(ws.snapshot.assets.find((asset) => asset.path === 'assets/moved/a.txt')?.status).toBe('present');
    // Nothing was rolled back or reported failed.
    expect(auditOf(ws, result.operationId).map((record) => record.result)).not.toContain('failed');
    await ws.close();
  });
});
