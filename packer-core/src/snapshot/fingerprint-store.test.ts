import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scriptText } from '@packer/fixtures';
import { makeTempDir } from '../testing/temp-dirs.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { fingerprintFile } from './content-fingerprint.js';
import { FingerprintStore } from './fingerprint-store.js';

const open: Workspace[] = [];
const warnings: string[] = [];
const onWarning = (warning: Error): void => {
  if (warning.name === 'PackerStateWarning') warnings.push(warning.message);
};

afterEach(async () => {
  process.off('warning', onWarning);
  warnings.length = 0;
  for (const ws of open.splice(0)) await ws.close();
});

async function openWorkspace(root: string): Promise<Workspace> {
  const ws = await Workspace.open(root);
  open.push(ws);
  return ws;
}

async function closeWorkspace(ws: Workspace): Promise<void> {
  open.splice(open.indexOf(ws), 1);
  await ws.close();
}

describe('fingerprint store across restarts', () => {
  it('an open that finds every fingerprint current leaves the store trusted: the next open keeps it', async () => {
    const root = makeTempProject({
      'assets/a.txt': scriptText('a', 40),
      'assets/b.txt': scriptText('b', 40),
    });
    const first = await openWorkspace(root);
    await first.apply({ type: 'register', paths: ['assets'] });
    await closeWorkspace(first);
    process.on('warning', onWarning);
    // Nothing to fingerprint on these opens: every recorded fingerprint is of the current content.
    for (let restart = 0; restart < 3; restart++) {
      const ws = await openWorkspace(root);
      await new Promise((resolve) => setImmediate(resolve));
      await closeWorkspace(ws);
      expect(existsSync(path.join(root, '.packer', 'fingerprints.lmdb.reading'))).toBe(false);
    }
    await new Promise((resolve) => setImmediate(resolve));
    // Before: the second restart found the first one's read guard and threw the whole store away.
    expect(warnings).toEqual([]);
  });
});

describe('background fingerprinting of a cold start', () => {
  it('writes its rows out as it goes and still answers every fingerprint, in this process and the next', async () => {
    // More files than one flush holds (4,096 rows): rows written out mid-way are answered from the store.
    const root = makeTempDir('packer-fingerprints-');
    const stateDir = path.join(root, '.packer');
    mkdirSync(stateDir);
    const files: string[] = [];
    const observed = new Map<string, { size: number; digest: string }>();
    for (let index = 0; index < 4_500; index++) {
      const relative = `assets/f${Math.floor(index / 100)}/file-${index}.txt`;
      mkdirSync(path.join(root, path.dirname(relative)), { recursive: true });
      writeFileSync(path.join(root, relative), scriptText(`file${index}`, 6));
      const stat = statSync(path.join(root, relative));
      files.push(relative);
      observed.set(relative, {
        size: stat.size,
        digest: createHash('sha256')
          .update(readFileSync(path.join(root, relative)))
          .digest('hex'),
      });
    }
    const sampled = files.filter((_, index) => index % 450 === 0);
    const expectSketches = (store: FingerprintStore): void => {
      for (const relative of sampled) {
        const expected = fingerprintFile(path.join(root, relative))!;
        const found = store.lastFingerprint(relative, observed.get(relative)!.digest);
        expect(found?.text).toBe(expected.text);
        expect([...(found?.hashes ?? [])]).toEqual([...expected.hashes]);
        // A fingerprint of another content is never answered.
        expect(store.lastFingerprint(relative, '0'.repeat(64))).toBeUndefined();
      }
    };
    const store = new FingerprintStore(stateDir, root);
    try {
      store.ensure(
        files,
        (relative) => observed.get(relative),
        () => true,
      );
      expect(store.busy).toBe(true);
      await until(() => !store.busy);
      expectSketches(store);
    } finally {
      await store.close();
    }
    const reopened = new FingerprintStore(stateDir, root);
    try {
      expectSketches(reopened);
      // The next start's check over those rows ends with the store trusted (no read guard left behind).
      reopened.ensure(
        files,
        (relative) => observed.get(relative),
        () => true,
      );
      expect(reopened.busy).toBe(true);
      await until(() => !reopened.busy);
      expect(existsSync(path.join(stateDir, 'fingerprints.lmdb.reading'))).toBe(false);
    } finally {
      await reopened.close();
    }
    // A prune's drops are written by the next save: gone for the next process, and the row kept is still answered.
    const pruned = new FingerprintStore(stateDir, root);
    try {
      pruned.prune((relative) => relative === sampled[0]);
      pruned.save();
    } finally {
      await pruned.close();
    }
    const last = new FingerprintStore(stateDir, root);
    try {
      expect(last.lastFingerprint(sampled[1]!, observed.get(sampled[1]!)!.digest)).toBeUndefined();
      expect(last.lastFingerprint(sampled[0]!, observed.get(sampled[0]!)!.digest)?.text).toBe(
        fingerprintFile(path.join(root, sampled[0]!))!.text,
      );
    } finally {
      await last.close();
    }
  });
});

/** Resolves once `done()` holds, checking after each turn of timers (background slices run on timers). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
}
