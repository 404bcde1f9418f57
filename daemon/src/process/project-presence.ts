import { existsSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/** How often the project folder is looked at: two `stat` calls and a read of the lock's pid file (a `readdir` only
 * while packer.json is missing), so idle CPU stays ~0 %. */
export const PRESENCE_CHECK_MS = 2_000;

export type ProjectGone =
  /** The folder is not there any more (`rm -rf`), or another folder now has its path (`rm -rf` then a clone). */
  | { reason: 'removed' | 'replaced' }
  /** The folder holds nothing but `.packer/` and has no packer.json: a daemon write raced an `rm -rf` and made the
   * state folder again (the leftover is removed, then the folder if empty, so the user's rm is complete). */
  | { reason: 'emptied' }
  /** The daemon's lock (`.packer/daemon.lock`) no longer names it: `.packer/` was deleted or replaced under it, and
   * the next `packer` command may already have started another daemon. Two would be two writers. */
  | { reason: 'unlocked' };

/**
 * Watches that the project folder the daemon serves still exists, is the same folder (device and inode), and is
 * still a project. A daemon whose folder was deleted used to run forever, and its next write (`.packer/revision`,
 * its log) re-created the folder its user had just removed. `onGone` is called once; after it the daemon must write
 * nothing more under the project (no graceful stop: its log, events and lock all live there) and exit.
 */
export function watchProjectPresence(
  projectRoot: string,
  onGone: (gone: ProjectGone) => void,
  intervalMs = PRESENCE_CHECK_MS,
  /** Whether the daemon still holds its lock (see LockResult.held); asked once the project is known to be there. */
  lockHeld: () => boolean = () => true,
): { stop(): void; check(): ProjectGone | undefined } {
  const root = path.resolve(projectRoot);
  const first = statSync(root);
  let timer: NodeJS.Timeout | undefined = setInterval(() => {
    const gone = checkProjectPresence(root, first) ?? (lockHeld() ? undefined : { reason: 'unlocked' as const });
    if (gone === undefined) return;
    stop();
    onGone(gone);
  }, intervalMs);
  // Never what keeps the process alive.
  timer.unref();
  const stop = (): void => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  // One look now, for a daemon whose open failed: was it because the project went away?
  return { stop, check: () => checkProjectPresence(root, first) };
}

/** One look at the project folder (`first`: its stat when the daemon started); undefined while it is still there. */
export function checkProjectPresence(root: string, first: { dev: number; ino: number }): ProjectGone | undefined {
  let now;
  try {
    now = statSync(root);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? { reason: 'removed' } : undefined;
  }
  if (now.dev !== first.dev || now.ino !== first.ino || !now.isDirectory()) return { reason: 'replaced' };
  // A missing packer.json alone is a state the daemon serves (INVALID_CONFIG until it is back). Only a folder left
  // with nothing but the packer's own state folder is a deleted project.
  if (existsSync(path.join(root, 'packer.json'))) return undefined;
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return undefined;
  }
  if (names.length !== 1 || names[0] !== '.packer') return undefined;
  rmSync(path.join(root, '.packer'), { recursive: true, force: true });
  try {
    rmdirSync(root);
  } catch {
    // something new arrived meanwhile: it is the user's, leave it
  }
  return { reason: 'emptied' };
}
