import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initProject } from '@packer/core';
import type { DaemonClient } from '@packer/client';
import { writeEngineFixture } from '@packer/fixtures';
import { connectClient, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';

let daemon: DaemonProcess | undefined;
let client: DaemonClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

const BACKENDS = [
  { backend: 'fs-watch', env: {} },
  { backend: 'parcel', env: { PACKER_WATCHER: 'parcel' } },
  { backend: 'chokidar', env: { PACKER_WATCHER: 'chokidar' } },
];

function write(root: string, relative: string, content = 'x'): void {
  mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  writeFileSync(path.join(root, relative), content);
}

describe.each(BACKENDS)('a Godot project adopted by packer init, watched with $backend', ({ env }) => {
  /** Untracked paths as a synced read sees them: every change made before the call is in. */
  async function untracked(): Promise<string[]> {
    const list = await client!.call('assets.list', { status: 'untracked', sync: true, limit: 1000 });
    return list.items.map((item) => item.path).sort();
  }

  it('never offers a file .gitignore hides, and re-applies a changed .gitignore', async () => {
    const root = writeEngineFixture('godot-game');
    initProject(root);
    // Hidden by .gitignore only (packer.json's own globs do not name it), so only the gitignore rules can hide it.
    appendFileSync(path.join(root, '.gitignore'), 'generated/\n*.bak\n!keep.bak\n');
    daemon = await startDaemon({ root, env });
    client = await connectClient(root, 'gitignore-test');
    const before = await untracked();
    expect(before).toContain('sprites/hero.png');
    expect(before.filter((file) => file.startsWith('.godot/'))).toEqual([]);

    write(root, '.godot/imported/new.png-0001.ctex');
    write(root, 'generated/atlas.png');
    write(root, 'sprites/old.bak');
    write(root, 'sprites/keep.bak');
    write(root, 'sprites/new.png');
    const after = await untracked();
    expect(after).toContain('sprites/new.png');
    expect(after).toContain('sprites/keep.bak');
    expect(after.filter((file) => /^(\.godot|generated)\/|old\.bak$/.test(file))).toEqual([]);

    // A nested .gitignore written while watching hides its folder's matches; its removal would bring them back.
    write(root, 'sprites/enemies/.gitignore', 'bat.png\n');
    const nested = await untracked();
    expect(nested).not.toContain('sprites/enemies/bat.png');
    expect(nested).toContain('sprites/enemies/slime.png');
    expect(nested).not.toContain('sprites/enemies/.gitignore');
  });
});
