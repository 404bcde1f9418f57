/**
 * Why the daemon checks what it wrote itself once more. An apply publishes its own changes: the commit observes the
 * paths it moved or deleted, with no watcher event. The events those writes cause are still on their way, and
 * @parcel/watcher's event list merges a create and a delete of one path pending in one debounce window (50 ms of
 * quiet, up to 500 ms in a stream of changes) into nothing (Event.hh: an event both created and deleted is skipped).
 * So a file an apply moved into a folder that a person, a script or `git stash -u` removes a moment later leaves no
 * event at all, and the snapshot kept it present (or, once git restored the registry, untracked) until something else
 * happened in its folder. The same goes for a registry file the apply wrote and someone deleted at once.
 *
 * Once the watcher has taken its pending list past the writes, a later change to those paths is an event of its own
 * and is reported; one merged away before is on disk to be seen. So the paths are re-observed (and the registry
 * re-read, stat-keyed) at whichever comes first:
 * - the delivery of a cookie this daemon wrote after the writes (a synced read's): exact, and before that read
 *   answers;
 * - RECHECK_AFTER_MS later: the watcher's delivery window has passed by then, for what no synced read asks about
 *   (events to Studio, `packer top`).
 * No cookie of its own: a file in the user's folder after the apply answered is litter `git add -A` could pick up.
 */
export const RECHECK_AFTER_MS = 1_000;

interface Entry {
  paths: readonly string[];
  /** Cookies this daemon had written when the apply noted its writes: one numbered above was written after them. */
  cookiesBefore: number;
  dueAt: number;
}

/** The applies whose writes wait to be checked again, oldest first. */
export class OwnWrites {
  private entries: Entry[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  get size(): number {
    return this.entries.length;
  }

  /** When the oldest waiting entry is due by time (undefined when none waits). */
  get nextDueAt(): number | undefined {
    return this.entries[0]?.dueAt;
  }

  note(paths: readonly string[], cookiesBefore: number): void {
    this.entries.push({ paths, cookiesBefore, dueAt: this.now() + RECHECK_AFTER_MS });
  }

  /**
   * Takes the entries due: written before the cookie numbered `newestCookie` was (0: none delivered), or due by time.
   * Returns their paths (deduplicated) and how many applies they came from.
   */
  takeDue(newestCookie: number): { paths: string[]; applies: number } {
    const now = this.now();
    const paths = new Set<string>();
    let applies = 0;
    // Both orders agree: an entry noted later has no fewer cookies before it and a later due time.
    while (this.entries.length > 0) {
      const entry = this.entries[0]!;
      if (entry.cookiesBefore >= newestCookie && entry.dueAt > now) break;
      this.entries.shift();
      for (const relative of entry.paths) paths.add(relative);
      applies++;
    }
    return { paths: [...paths], applies };
  }

  clear(): void {
    this.entries = [];
  }
}
