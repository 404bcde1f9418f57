import { lstatSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDaemonAlive } from '@packer/client';
import { COOKIE_PREFIX } from '@packer/core';

/** Exactly the names `roundTrip` writes: the prefix, the writer's pid, its counter (both from 1). */
const COOKIE_NAME = new RegExp(
  `^${COOKIE_PREFIX.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}([1-9][0-9]{0,9})-([1-9][0-9]{0,15})$`,
);

/** A cookie file the watcher delivered: its name and the folder it was seen in. */
export interface DeliveredCookie {
  name: string;
  root: string;
}

/**
 * Read-your-writes through the watcher (Watchman's cookies): write a uniquely named empty file into each watched
 * root and wait until the watcher has delivered it from every one. Watchers deliver in order, so by then every
 * change made before the cookie has been delivered too. The caller decides when a delivered cookie is settled:
 * only once the changes that came with it are applied.
 *
 * What a round trip costs, and the shortcuts not taken (issue 11, warm `packer status`):
 * - @parcel/watcher holds what it reads for 50 ms of quiet before delivering it (500 ms at most), except that an
 *   event arriving over 500 ms after its previous delivery goes out at once. So a synced read costs ~50 ms when
 *   another delivery happened in the last half second (back-to-back commands: the previous cookie's removal is
 *   one), and a few ms otherwise. The CLI hides most of it by sending its request before it loads (pipelined-calls).
 * - No cookie while the watcher looks idle: unsafe. A file written a millisecond before the request may not have
 *   reached the watcher's queue yet; only something that went through the same queue after it proves it has.
 *   Watchman makes a cookie per synced query (`sync_timeout` 0 opts out, documented as safe only after a synced
 *   query made since the caller started), and git's fsmonitor--daemon waits for a cookie per client request too.
 * - The cookie seen through a second watch (`fs.watch` on the root, delivered at once): proves nothing. inotify
 *   queues an event to every watching instance when the change happens, so by then the earlier changes are in
 *   parcel's queue too, but parcel may still hold them for its 50 ms: the snapshot would be read before they are
 *   applied. Only a cookie delivered by the same subscription, in order after them, says they were handed over.
 */
export class CookieSync {
  private readonly waiting = new Map<string, { roots: Set<string>; resolve(): void }>();
  private delivered: DeliveredCookie[] = [];
  private counter = 0;

  /** True for a path that is a cookie (ours or another daemon's): never an asset, and worth delivering at once. */
  static isCookie(file: string): boolean {
    return path.basename(file).startsWith(COOKIE_PREFIX);
  }

  /** Writes one cookie into each root; resolves `seen` once all were settled, or `timeout`. Removes the files either
   * way. */
  async roundTrip(roots: readonly string[], timeoutMs: number): Promise<'seen' | 'timeout'> {
    const name = `${COOKIE_PREFIX}${process.pid}-${++this.counter}`;
    const seen = new Promise<'seen'>((resolve) =>
      this.waiting.set(name, { roots: new Set(roots), resolve: () => resolve('seen') }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    let outcome: 'seen' | 'timeout' | undefined;
    try {
      for (const root of roots) writeFileSync(path.join(root, name), '');
      outcome = await Promise.race([seen, timeout]);
      return outcome;
    } finally {
      clearTimeout(timer);
      // Timed out, or a root could not be written: nobody waits for this cookie any more.
      if (outcome !== 'seen') this.waiting.delete(name);
      for (const root of roots) removeQuietly(path.join(root, name));
    }
  }

  /** How many round trips this process started: a cookie numbered above it is written after this moment. */
  get issued(): number {
    return this.counter;
  }

  /**
   * The highest number among `cookies` that this process wrote (0 for none). A change made while `issued` was below
   * that number had been handed over by the watcher by the time that cookie was.
   */
  newestOwn(cookies: readonly DeliveredCookie[]): number {
    let newest = 0;
    for (const cookie of cookies) {
      const match = COOKIE_NAME.exec(cookie.name);
      if (match && Number(match[1]) === process.pid) newest = Math.max(newest, Number(match[2]));
    }
    return newest;
  }

  /** The watcher reported a cookie file (created or changed) at `file`. */
  noteDelivered(file: string): void {
    this.delivered.push({ name: path.basename(file), root: path.dirname(file) });
  }

  /** Takes the cookies delivered so far; `settle` them once the changes delivered before them are applied. */
  takeDelivered(): DeliveredCookie[] {
    const taken = this.delivered;
    this.delivered = [];
    return taken;
  }

  /** Counts the cookies as seen: a round trip resolves once its cookie was seen in every root. */
  settle(cookies: readonly DeliveredCookie[]): void {
    for (const cookie of cookies) {
      const waiter = this.waiting.get(cookie.name);
      if (!waiter) continue;
      waiter.roots.delete(cookie.root);
      if (waiter.roots.size === 0) {
        this.waiting.delete(cookie.name);
        waiter.resolve();
      }
    }
  }

  /** Removes the stale cookies in `roots` (see `removeStaleCookies`), sparing this daemon's round trips in flight. */
  removeStale(roots: readonly string[]): string[] {
    return removeStaleCookies(roots, (name) => this.waiting.has(name));
  }

  /** Releases every waiting round trip (the watcher is closing; nothing more will be delivered). */
  releaseAll(): void {
    for (const waiter of this.waiting.values()) waiter.resolve();
    this.waiting.clear();
  }
}

/**
 * Removes the cookie files a killed daemon left at the top of the watched roots (its `roundTrip` never reached its
 * `finally`). Only what the packer itself writes goes: a name of exactly `.packer-cookie-<pid>-<n>`, an empty regular
 * file (no symlink, no folder) of this user, whose writer is no live daemon, or is this process but not a round trip
 * in flight (a reused pid). A live daemon's cookie stays: another project's asset root may be the same folder.
 * Returns the paths removed; a root that cannot be read is skipped (the scan reports it).
 */
export function removeStaleCookies(
  roots: readonly string[],
  inFlight: (name: string) => boolean = () => false,
): string[] {
  const removed: string[] = [];
  const uid = process.getuid?.();
  for (const root of roots) {
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      continue;
    }
    for (const name of names) {
      const match = COOKIE_NAME.exec(name);
      if (!match) continue;
      const pid = Number(match[1]);
      if (pid === process.pid ? inFlight(name) : isDaemonAlive(pid)) continue;
      const file = path.join(root, name);
      try {
        const stat = lstatSync(file);
        if (!stat.isFile() || stat.size !== 0 || (uid !== undefined && stat.uid !== uid)) continue;
        unlinkSync(file);
        removed.push(file);
      } catch {
        // gone meanwhile, or not ours to remove
      }
    }
  }
  return removed;
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
