import { lstatSync, readdirSync, type Dirent } from 'node:fs';
import path from 'node:path';

/**
 * Why bursts get a second look (parcel-bundler/watcher#183, open in @parcel/watcher 2.6.0): the native debounce
 * thread copies the pending event list and clears it under two separate locks (Watcher::triggerCallbacks:
 * getEvents() then clear()), so an event the inotify thread adds in between is never delivered. Its debounce
 * delivers at once when the previous delivery is over 500 ms old, else after 50 ms of quiet: the deliveries that race
 * with arriving events are the immediate ones in the middle of a burst (its first event after a pause, and every
 * ~500 ms of a longer one). A lone change cannot lose anything: nothing arrives while its delivery is handed over.
 *
 * What is lost is an event that came just after what a delivery holds, so it belongs to a burst whose other events
 * are in that delivery or the next one. A burst is recognised by what JavaScript can see: a delivery naming
 * BURST_PATHS or more paths, or one arriving within FOLLOW_MS of the previous delivery (a split burst). Then the
 * parent folders of the paths in both deliveries are listed again and compared with the snapshot (`relistFolders`).
 */

/** A delivery naming this many paths is a burst on its own (a lone save names one). */
export const BURST_PATHS = 2;
/**
 * A delivery this soon after the previous one (or after the daemon finished applying it) may carry the rest of a
 * burst that delivery split: parcel's 500 ms cap between deliveries of a continuous burst, plus slack.
 */
export const FOLLOW_MS = 600;

/**
 * Remembers the previous delivery and says which folders a new delivery asks to list again. Folders are
 * project-relative (posix), `.` never (the project root is not an asset folder).
 */
export class BurstDetector {
  private lastAt = Number.NEGATIVE_INFINITY;
  private lastFolders: ReadonlySet<string> = new Set();
  private lastPaths: ReadonlySet<string> = new Set();

  constructor(private readonly now: () => number) {}

  /**
   * One delivery arrived, naming `paths` (project-relative asset paths; none for a delivery of cookies only, which
   * still counts: a synced read's cookie can be the delivery that splits a burst). Returns the folders to list again.
   */
  noteDelivery(paths: readonly string[]): Set<string> {
    const now = this.now();
    const folders = parentFolders(paths);
    // A follower naming only what the previous delivery named is one file's create and write split by parcel's
    // immediate delivery (measured: a third of lone new files at 100k): a lone change, nothing else was in flight.
    const follows =
      now - this.lastAt < FOLLOW_MS && (paths.length === 0 || paths.some((relative) => !this.lastPaths.has(relative)));
    const out = new Set<string>();
    if (paths.length >= BURST_PATHS || follows) {
      for (const folder of folders) out.add(folder);
      if (follows) for (const folder of this.lastFolders) out.add(folder);
    }
    this.lastAt = now;
    this.lastFolders = folders;
    this.lastPaths = new Set(paths);
    return out;
  }

  /** The daemon finished applying deliveries: a busy event loop must not make the next one look like a lone change. */
  noteApplied(): void {
    this.lastAt = Math.max(this.lastAt, this.now());
  }
}

function parentFolders(paths: readonly string[]): Set<string> {
  const folders = new Set<string>();
  for (const relative of paths) {
    const slash = relative.lastIndexOf('/');
    if (slash > 0) folders.add(relative.slice(0, slash));
  }
  return folders;
}

/** What `relistFolders` needs of the snapshot's observed files (a PersistentMap in path order). */
export interface KnownFiles {
  get(relative: string): { size: number; mtimeMs: number; ino: number } | undefined;
  /** Entries from the first key ≥ `start`, in key order. */
  from(start: string): Iterable<readonly [string, unknown]>;
}

export interface RelistResult {
  /** Paths whose observation is stale: listed but unknown, known but not listed, or a file whose stat differs. */
  stale: string[];
  /** Entries compared (listed plus known), the cost of the pass. */
  entries: number;
  /** Known files whose lstat was compared (at most the budget). */
  statted: number;
}

/**
 * Known files whose lstat a pass may compare, per path the burst reported, and at least. Measured at 100k files in
 * 2,380 folders (2,000 files rewritten, loaded 2-core machine): applying the reported paths costs ~0.3 ms of CPU
 * each; a burst clustered in 50 folders re-lists ~4,300 entries and lstats ~2,100 files (within the budget, no CPU
 * difference measurable); one touching one file in each of 2,000 folders re-lists 172,000 entries (~1 µs each) and
 * would lstat ~86,000 files, near a full scan, so past the budget its folders are compared by name only (+~11% CPU).
 */
export const STAT_BUDGET_PER_PATH = 4;
export const STAT_BUDGET_MIN = 256;

/**
 * Lists each folder (not its subfolders) and compares it with the snapshot's direct children of that folder:
 * - a name listed and not known: created (a lost `add`, or the new half of a rename);
 * - a known name not listed: deleted (a lost `unlink`, or the old half of a rename);
 * - a known file whose lstat (size, mtime, inode) differs: changed in place (a lost `change`), which leaves the
 *   folder's listing as it was; this check is what catches it, for every file of the folder, reported or not, up to
 *   `statBudget` files per pass (STAT_BUDGET_PER_PATH).
 * Known subfolders still listed are not entered: cost follows the folders' own entries, never their subtrees.
 * Still unseen: a lost event in a folder no delivered event touched, and an in-place change that keeps size and
 * mtime (a tool restoring the mtime, same size). A folder that is gone is returned itself (its subtree is stale).
 */
export function relistFolders(
  root: string,
  folders: Iterable<string>,
  known: KnownFiles,
  skip: (relative: string) => boolean,
  statBudget = Number.POSITIVE_INFINITY,
): RelistResult {
  const stale: string[] = [];
  let entries = 0;
  let statted = 0;
  for (const folder of folders) {
    let listed: Dirent[];
    try {
      listed = readdirSync(path.join(root, folder), { withFileTypes: true });
    } catch {
      stale.push(folder);
      continue;
    }
    const children = knownChildren(known, folder);
    entries += listed.length + children.size;
    for (const entry of listed) {
      const relative = `${folder}/${entry.name}`;
      children.delete(entry.name);
      // Names that are not valid UTF-8 (U+FFFD) or that the snapshot keeps escaped are left to the scanner.
      if (skip(relative) || entry.name.includes('\uFFFD')) continue;
      const seen = known.get(relative);
      if (entry.isDirectory()) {
        // A known folder is unchanged as far as this folder can tell; an unknown one is new (or empty), or was a file.
        if (seen !== undefined || !hasUnder(known, relative)) stale.push(relative);
        continue;
      }
      if (seen === undefined) {
        stale.push(relative);
        continue;
      }
      if (statted >= statBudget) continue;
      statted++;
      const stat = lstatSync(path.join(root, relative), { throwIfNoEntry: false });
      if (!stat || stat.size !== seen.size || stat.mtimeMs !== seen.mtimeMs || stat.ino !== seen.ino)
        stale.push(relative);
    }
    // Known but not listed: gone. Escaped keys (a backslash, see FileStat.unsupported) never match a listed name.
    for (const name of children) if (!name.includes('\\')) stale.push(`${folder}/${name}`);
  }
  return { stale, entries, statted };
}

/** The names of `folder`'s direct children in the snapshot: its files, and the first segment of deeper paths. */
function knownChildren(known: KnownFiles, folder: string): Set<string> {
  const prefix = `${folder}/`;
  const names = new Set<string>();
  let start = prefix;
  for (;;) {
    let skipTo: string | undefined;
    for (const [key] of known.from(start)) {
      if (!key.startsWith(prefix)) return names;
      const slash = key.indexOf('/', prefix.length);
      if (slash === -1) {
        names.add(key.slice(prefix.length));
        continue;
      }
      // A subfolder: one name, then jump past its subtree ('0' sorts right after '/').
      names.add(key.slice(prefix.length, slash));
      skipTo = `${key.slice(0, slash)}0`;
      break;
    }
    if (skipTo === undefined) return names;
    start = skipTo;
  }
}

function hasUnder(known: KnownFiles, folder: string): boolean {
  const prefix = `${folder}/`;
  for (const [key] of known.from(prefix)) return key.startsWith(prefix);
  return false;
}
