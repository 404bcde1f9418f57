import { chmodSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PackerError } from '../contract/errors.js';
import { REGISTRY_FILE, RegistryStore } from '../registry/registry-store.js';
import { readProjectFiles, readRegistryText } from '../testing/project-state.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from './workspace.js';
import { packerErrorOf } from '../testing/packer-error-of.js';

const FILES = { 'assets/a.txt': 'a', 'assets/b.txt': 'b' };

async function withOneAsset(): Promise<{ root: string; ws: Workspace }> {
  const root = makeTempProject(FILES);
  const ws = await Workspace.open(root);
  await ws.apply({ type: 'register', paths: ['assets/a.txt'] });
  return { root, ws };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a read-only registry file (no owner write bit)', () => {
  it('shows in the preview as a REGISTRY_READ_ONLY blocker, before the user confirms', async () => {
    const { root, ws } = await withOneAsset();
    chmodSync(path.join(root, REGISTRY_FILE), 0o444);
    const plan = ws.preview({ type: 'register', paths: ['assets/b.txt'] });
    expect(plan.blockers).toEqual([
      expect.objectContaining({
        code: 'REGISTRY_READ_ONLY',
        severity: 'blocker',
        path: REGISTRY_FILE,
        message: expect.stringContaining('0444'),
        hint: expect.stringContaining('chmod'),
      }),
    ]);
    // A plan that writes nothing has nothing to refuse.
    expect(ws.preview({ type: 'register', paths: ['assets/a.txt'] }).blockers.map((item) => item.code)).toEqual([
      'ALREADY_REGISTERED',
    ]);
    chmodSync(path.join(root, REGISTRY_FILE), 0o644);
    expect(ws.preview({ type: 'register', paths: ['assets/b.txt'] }).blockers).toEqual([]);
    await ws.close();
  });

  it('refuses the apply with REGISTRY_READ_ONLY, changes nothing, and audits the refusal', async () => {
    const { root, ws } = await withOneAsset();
    chmodSync(path.join(root, REGISTRY_FILE), 0o444);
    const files = readProjectFiles(root);
    const registry = readRegistryText(root);
    const error = await packerErrorOf(
      ws.apply(
        { type: 'move', from: 'assets/a.txt', to: 'assets/c.txt' },
        { operationId: 'op_01J00000000000000000000000' },
      ),
    );
    expect(error.code).toBe('REGISTRY_READ_ONLY');
    expect(String(error.data.hint)).toMatch(/chmod u\+w/);
    expect(readProjectFiles(root)).toEqual(files);
    expect(readRegistryText(root)).toBe(registry);
    expect(statSync(path.join(root, REGISTRY_FILE)).mode & 0o777).toBe(0o444);
    expect(ws.audit.list({ operationId: 'op_01J00000000000000000000000' })).toEqual([
      expect.objectContaining({
        result: 'blocked',
        scope: expect.objectContaining({ type: 'move' }),
        error: expect.objectContaining({ code: 'REGISTRY_READ_ONLY' }),
      }),
    ]);
    await ws.close();
  });
});

describe('refusals raised by the registry writer itself are audited', () => {
  it('a registry made read-only between the preview and the write: REGISTRY_READ_ONLY, audited as failed', async () => {
    const { root, ws } = await withOneAsset();
    const original = RegistryStore.prototype.stageChange;
    // The file turns read-only at the last moment, after the plan was checked: the writer's own check refuses.
    vi.spyOn(RegistryStore.prototype, 'stageChange').mockImplementation(function (this: RegistryStore, ...args) {
      chmodSync(path.join(root, REGISTRY_FILE), 0o444);
      return original.apply(this, args);
    });
    const registry = readRegistryText(root);
    const error = await packerErrorOf(
      ws.apply({ type: 'register', paths: ['assets/b.txt'] }, { operationId: 'op_01J00000000000000000000001' }),
    );
    expect(error.code).toBe('REGISTRY_READ_ONLY');
    expect(readRegistryText(root)).toBe(registry);
    expect(ws.audit.list({ operationId: 'op_01J00000000000000000000001' })).toEqual([
      expect.objectContaining({ result: 'failed', error: expect.objectContaining({ code: 'REGISTRY_READ_ONLY' }) }),
    ]);
    await ws.close();
  });

  it('a registry the packer could not read back (INVALID_PATH from the writer) is audited as failed', async () => {
    const { ws } = await withOneAsset();
    vi.spyOn(RegistryStore.prototype, 'stageChange').mockImplementation(() => {
      throw new PackerError('INVALID_PATH', 'Refused to write a registry the packer could not read back: bad path.', {
        hint: 'Nothing was written.',
      });
    });
    const error = await packerErrorOf(
      ws.apply({ type: 'register', paths: ['assets/b.txt'] }, { operationId: 'op_01J00000000000000000000002' }),
    );
    expect(error.code).toBe('INVALID_PATH');
    expect(ws.audit.list({ operationId: 'op_01J00000000000000000000002' })).toEqual([
      expect.objectContaining({ result: 'failed', error: expect.objectContaining({ code: 'INVALID_PATH' }) }),
    ]);
    expect(ws.snapshot.assets.map((asset) => asset.path)).toEqual(['assets/a.txt']);
    await ws.close();
  });

  it('an idempotency key reused for a different mutation is refused and audited', async () => {
    const { ws } = await withOneAsset();
    await ws.apply({ type: 'update', target: 'assets/a.txt', addTags: ['x'] }, { idempotencyKey: 'k1' });
    const error = await packerErrorOf(
      ws.apply(
        { type: 'register', paths: ['assets/b.txt'] },
        { idempotencyKey: 'k1', operationId: 'op_01J00000000000000000000003' },
      ),
    );
    expect(error.code).toBe('IDEMPOTENCY_MISMATCH');
    expect(ws.audit.list({ operationId: 'op_01J00000000000000000000003' })).toEqual([
      expect.objectContaining({ result: 'failed', error: expect.objectContaining({ code: 'IDEMPOTENCY_MISMATCH' }) }),
    ]);
    await ws.close();
  });
});
