import { createHash } from 'node:crypto';
import { readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DigestCache } from '../digest/digest-cache.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from './workspace.js';

// An open reads the registered files' digest rows before its scan, while the daemon's watcher crawls (issue 11, warm
// open). What a file holds when the scan sees it must decide its digest, not what the rows said when they were read.

const counter = vi.hoisted(() => ({ hashed: [] as string[] }));
vi.mock('../digest/hash-files.js', async (importOriginal) =>
  (await import('../testing/hash-counter.js')).countingHasher(await importOriginal(), counter),
);

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

const NAMES = ['kept', 'edited', 'resized', 'touched', 'replaced'];
const WHOLE_SECOND = Math.floor(Date.now() / 1000) - 60;

async function registeredProject(): Promise<string> {
  const files = Object.fromEntries(NAMES.map((name) => [`assets/${name}.txt`, `${name} as registered\n`]));
  const root = makeTempProject(files);
  // Whole seconds, so that a file written later can be given exactly this mtime again.
  for (const name of NAMES) utimesSync(path.join(root, 'assets', `${name}.txt`), WHOLE_SECOND, WHOLE_SECOND);
  const ws = await Workspace.open(root, { env: {} });
  await ws.apply({ type: 'register', paths: ['assets'] });
  await ws.close();
  return root;
}

describe('digest rows read before the scan', () => {
  it('answer only files whose stat is unchanged at the scan: files changed while the open waited are hashed again', async () => {
    const root = await registeredProject();
    const at = (name: string): string => path.join(root, 'assets', `${name}.txt`);
    counter.hashed = [];
    let changed = false;
    // The rows are read before beforeScan is awaited; every change below happens after that and before the scan.
    const beforeScan = Promise.resolve().then(() => {
      writeFileSync(at('edited'), 'EDITED as registered\n'); // same size, new content and mtime
      writeFileSync(at('resized'), 'resized, longer than before\n');
      utimesSync(at('touched'), new Date(Date.now() + 5_000), new Date(Date.now() + 5_000)); // mtime only
      // Same size and mtime, another inode: only the inode tells the row is stale.
      writeFileSync(`${at('replaced')}.new`, 'replaced as regist\n'.padEnd('replaced as registered\n'.length, '.'));
      utimesSync(`${at('replaced')}.new`, WHOLE_SECOND, WHOLE_SECOND);
      renameSync(`${at('replaced')}.new`, at('replaced'));
      expect(statSync(at('replaced')).mtimeMs).toBe(WHOLE_SECOND * 1000);
      changed = true;
    });
    const ws = await Workspace.open(root, { env: {}, beforeScan });
    try {
      expect(changed).toBe(true);
      const shown = Object.fromEntries(ws.snapshot.assets.map((asset) => [asset.path, asset.observation?.digest]));
      for (const name of NAMES) expect(shown[`assets/${name}.txt`]).toBe(sha256(readFileSync(at(name))));
      const hashed = counter.hashed.map((absolute) => path.basename(absolute)).sort();
      expect(hashed).toEqual(['edited.txt', 'replaced.txt', 'resized.txt', 'touched.txt']);
    } finally {
      await ws.close();
    }
  });

  it('are not trusted once the cache changed a row after reading them', () => {
    const root = makeTempProject({});
    const cache = new DigestCache(path.join(root, '.packer'));
    const stat = { size: 1, mtimeMs: 2, ino: 3 };
    cache.set('assets/a.txt', stat, 'a'.repeat(64));
    const rows = cache.readRows(['assets/a.txt', 'assets/b.txt']);
    expect(rows.get(0, stat)).toBe('a'.repeat(64));
    expect(rows.get(0, { ...stat, ino: 4 })).toBeUndefined();
    expect(rows.get(1, stat)).toBeUndefined();
    expect(cache.stillAsRead(rows)).toBe(true);
    cache.set('assets/a.txt', stat, 'b'.repeat(64));
    expect(cache.stillAsRead(rows)).toBe(false);
    return cache.close();
  });
});
