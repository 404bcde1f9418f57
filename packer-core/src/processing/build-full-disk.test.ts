import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackerError } from '../contract/errors.js';
import { makeTempDir } from '../testing/temp-dirs.js';
import { fillDisk, mountTmpfs, unmountTmpfs } from '../testing/tmpfs.js';
import { TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { runBuild } from './run-build.js';

// A real 4 MiB tmpfs (tests run as root here and in CI), as state-store-full-disk.test.ts: only a real full disk
// fails the native and worker-thread writes a build does.
let mountPoint: string | undefined;
let mountError: string | undefined;
const base = makeTempDir('packer-build-full-');
const open: Workspace[] = [];

beforeAll(() => {
  ({ mountPoint, error: mountError } = mountTmpfs(base, '4m', 'build test'));
});

afterAll(async () => {
  for (const ws of open.splice(0)) await ws.close();
  unmountTmpfs(mountPoint);
});

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function project(name: string): Promise<{ root: string; ws: Workspace }> {
  const root = path.join(mountPoint!, name);
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'packer.json'), JSON.stringify(TEST_CONFIG));
  for (let index = 0; index < 4; index++)
    writeFileSync(path.join(root, `assets/file-${index}.txt`), `${'line of text\n'.repeat(6000)}${index}\n`);
  writeFileSync(path.join(root, 'assets/late.txt'), 'added later\n');
  const ws = await Workspace.open(root);
  open.push(ws);
  await ws.apply({
    type: 'register',
    paths: ['assets/file-0.txt', 'assets/file-1.txt', 'assets/file-2.txt', 'assets/file-3.txt'],
  });
  return { root, ws };
}

/** Makes the digest cache's next save fail: registered files touched (hashed again) while the disk is full. */
async function digestWarning(root: string, ws: Workspace): Promise<string> {
  const filler = fillDisk(mountPoint!);
  const later = new Date(Date.now() + 5000);
  for (let index = 0; index < 4; index++) utimesSync(path.join(root, `assets/file-${index}.txt`), later, later);
  await ws.refresh();
  await until(() => ws.storageWarnings().some((item) => item.store === 'digest-cache'), 'the digest cache warning');
  return filler;
}

describe('a build on a full disk (real tmpfs)', () => {
  it('fails with an IO_ERROR naming the file and a hint, like a mutation', async () => {
    if (!mountPoint) return console.warn(`SKIPPED: ${mountError}`);
    const { root, ws } = await project('build-fails');
    const filler = fillDisk(mountPoint);
    try {
      const error = (await runBuild(ws).catch((caught: unknown) => caught)) as PackerError<'IO_ERROR'>;
      expect(error).toBeInstanceOf(PackerError);
      expect(error.code).toBe('IO_ERROR');
      expect(error.data.errno).toBe('ENOSPC');
      expect(error.data.path).toEqual(expect.stringContaining(root));
      expect(error.message).not.toContain('a file');
      expect(error.message).toContain(error.data.path);
      expect(error.data.hint).toMatch(/The build did not finish.*The disk is full: free some space, then retry\./);
    } finally {
      rmSync(filler);
    }
    await expect(runBuild(ws)).resolves.toMatchObject({ failures: [] });
  });

  it("a write that goes through after space is freed clears the digest cache's storage warning at once", async () => {
    if (!mountPoint) return console.warn(`SKIPPED: ${mountError}`);
    const { root, ws } = await project('warning-clears');
    rmSync(await digestWarning(root, ws));
    await ws.apply({ type: 'register', paths: ['assets/late.txt'] });
    expect(ws.storageWarnings()).toEqual([]);

    rmSync(await digestWarning(root, ws));
    await runBuild(ws);
    expect(ws.storageWarnings()).toEqual([]);
  });
});
