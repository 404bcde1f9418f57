import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DaemonClient } from '@packer/client';
import { connectClient, EventRecorder, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';

const daemons: DaemonProcess[] = [];
const clients: DaemonClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const daemon of daemons.splice(0)) await stopDaemon(daemon);
});

async function start(root?: string): Promise<DaemonProcess> {
  const daemon = await startDaemon(root ? { root } : {});
  // One entry per project: the restarted daemon replaces the killed one, and afterEach removes the folder once.
  const index = daemons.findIndex((other) => other.root === daemon.root);
  if (index === -1) daemons.push(daemon);
  else daemons[index] = daemon;
  return daemon;
}

async function connect(root: string): Promise<DaemonClient> {
  const client = await connectClient(root, 'cookie-cleanup-test');
  clients.push(client);
  return client;
}

/** Every entry under the project except `.packer/` (the daemon's own state): kind, and the bytes of files and links. */
function tree(root: string, folder = ''): Map<string, string> {
  const entries = new Map<string, string>();
  for (const name of readdirSync(path.join(root, folder))) {
    const relative = folder ? `${folder}/${name}` : name;
    if (relative === '.packer') continue;
    const stat = lstatSync(path.join(root, relative));
    if (stat.isDirectory()) {
      entries.set(relative, 'folder');
      for (const [child, kind] of tree(root, relative)) entries.set(child, kind);
    } else if (stat.isSymbolicLink()) {
      entries.set(relative, 'link');
    } else {
      entries.set(
        relative,
        `file ${stat.size} ${stat.mtimeMs} ${createHash('sha256')
          .update(readFileSync(path.join(root, relative)))
          .digest('hex')}`,
      );
    }
  }
  return entries;
}

/** Files whose names start like a cookie but are not one the packer wrote: none of them may ever go. */
function lookAlikes(folder: string, pid: number): string[] {
  const names = [
    `.packer-cookie-${pid}`,
    `.packer-cookie-${pid}-2.png`,
    `.packer-cookie-${pid}-3`,
    `.packer-cookie-${pid}-4`,
    `.packer-cookie-${pid}-5`,
  ];
  writeFileSync(path.join(folder, names[0]!), '');
  writeFileSync(path.join(folder, names[1]!), '');
  writeFileSync(path.join(folder, names[2]!), 'user notes'); // not empty
  mkdirSync(path.join(folder, names[3]!)); // a folder
  symlinkSync('hero.png', path.join(folder, names[4]!)); // a symlink
  return names;
}

async function untrackedPaths(client: DaemonClient): Promise<string[]> {
  const list = await client.call('assets.list', { status: 'untracked', sync: true, limit: 1000 });
  return list.items.map((item) => item.path);
}

describe('read-your-writes cookie files a killed daemon left behind', () => {
  it('are removed by the next daemon before it serves, and nothing else in the project changes', async () => {
    const crashed = await start();
    const { root } = crashed;
    const assets = path.join(root, 'assets');
    // The moment of the crash: the daemon wrote its cookie for a synced read, then died by SIGKILL.
    const cookie = path.join(assets, `.packer-cookie-${crashed.pid}-1`);
    writeFileSync(cookie, '');
    crashed.child.kill('SIGKILL');
    expect((await crashed.exited).signal).toBe('SIGKILL');
    // A second cookie of another daemon that died long ago (a pid that has exited).
    const older = path.join(assets, `.packer-cookie-${spawnSync(process.execPath, ['-e', '0']).pid}-7`);
    writeFileSync(older, '');
    lookAlikes(assets, crashed.pid);
    // Cookies are written only at the top of an asset root: one deeper is not the packer's, whatever its name.
    mkdirSync(path.join(assets, 'nested'), { recursive: true });
    writeFileSync(path.join(assets, 'nested', `.packer-cookie-${crashed.pid}-6`), '');
    const before = tree(root);

    const restarted = await start(root);
    expect(existsSync(cookie)).toBe(false);
    expect(existsSync(older)).toBe(false);
    const expected = new Map(before);
    expected.delete(path.relative(root, cookie));
    expected.delete(path.relative(root, older));
    expect(tree(root)).toEqual(expected);

    // The scan never offered any of them (cookie or look-alike) as an untracked asset.
    const client = await connect(restarted.root);
    expect(
      (await untrackedPaths(client)).filter((file) => path.posix.basename(file).startsWith('.packer-cookie-')),
    ).toEqual([]);
    expect(tree(root)).toEqual(expected);
  });

  it('are removed from a folder that becomes an asset root while the daemon runs', async () => {
    const daemon = await start();
    const client = await connect(daemon.root);
    const recorder = new EventRecorder();
    await client.subscribe({ onEvent: recorder.onEvent });
    const extra = path.join(daemon.root, 'extra');
    mkdirSync(extra);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const cookie = path.join(extra, `.packer-cookie-${dead}-1`);
    writeFileSync(cookie, '');
    writeFileSync(path.join(extra, 'hero.png'), 'png');
    const untouched = lookAlikes(extra, dead);

    const configFile = path.join(daemon.root, 'packer.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { assetRoots: string[] };
    writeFileSync(configFile, JSON.stringify({ ...config, assetRoots: [...config.assetRoots, 'extra'] }, null, 2));
    // The daemon watches again with the new roots (watcher.recovered), having removed the stale cookie first.
    await recorder.waitFor(
      (events) =>
        events.some((event) => event.type === 'config.reloaded') &&
        events.some((event) => event.type === 'watcher.recovered'),
      15_000,
      'config.reloaded and watcher.recovered',
    );
    expect(existsSync(cookie)).toBe(false);
    expect(readdirSync(extra).sort()).toEqual(['hero.png', ...untouched].sort());
    expect(await untrackedPaths(client)).toContain('extra/hero.png');
  });
});
