import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixturePath } from '@packer/fixtures';
import { isDaemonAlive, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';

// QA finding 7: a daemon whose project folder is deleted kept running forever, and racing the `rm -rf` it
// re-created `<project>/.packer/revision`. Real daemon child processes, real `rm -rf`.

const daemons: DaemonProcess[] = [];

afterEach(async () => {
  for (const daemon of daemons.splice(0)) await stopDaemon(daemon);
});

/** A copy of the sample game (without any `.packer/` a daemon someone ran in the fixture folder left there). */
function sampleCopy(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'packer-presence-'));
  const source = fixturePath('sample-game');
  cpSync(source, root, { recursive: true, filter: (item) => !item.startsWith(path.join(source, '.packer')) });
  return root;
}

async function started(): Promise<DaemonProcess> {
  const daemon = await startDaemon({ root: sampleCopy(), production: true });
  daemons.push(daemon);
  return daemon;
}

describe('a daemon whose project folder goes away', { timeout: 30_000 }, () => {
  it('exits by itself (code 0) after rm -rf of the project, and leaves nothing behind', async () => {
    const daemon = await started();
    rmSync(daemon.root, { recursive: true, force: true });
    const exit = await daemon.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(isDaemonAlive(daemon.pid)).toBe(false);
    expect(existsSync(daemon.root)).toBe(false);
  });

  it('a folder left holding only a re-created .packer/ (the raced write) is finished off, and the daemon exits', async () => {
    const daemon = await started();
    // What `rm -rf` leaves when a daemon write re-created the state folder under it: everything else gone.
    for (const name of readdirSync(daemon.root))
      if (name !== '.packer') rmSync(path.join(daemon.root, name), { recursive: true, force: true });
    const exit = await daemon.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(existsSync(daemon.root)).toBe(false);
  });

  it('a daemon whose .packer/ is deleted under it (its lock with it) exits, and the next daemon serves the project', async () => {
    const daemon = await started();
    rmSync(path.join(daemon.root, '.packer'), { recursive: true, force: true });
    const exit = await daemon.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(existsSync(path.join(daemon.root, 'packer.json'))).toBe(true);
    const next = await startDaemon({ root: daemon.root, production: true });
    daemons.push(next);
    expect(next.pid).not.toBe(daemon.pid);
    expect(isDaemonAlive(next.pid)).toBe(true);
  });
});
