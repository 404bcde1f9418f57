import type { RegistryEntry } from '../contract/registry-schema.js';
import {
  entryBody,
  readRegistry,
  sameEntryValues,
  serializeRegistry,
  validateEntry,
  type RegistryRead,
} from './registry-codec.js';
import { compareEntries, layoutRegistry, lowerBound, upperBound } from './registry-layout.js';

/** One entry's line: the canonical JSON text, and the entry the reader would parse from it. */
interface Line {
  body: string;
  canonical: RegistryEntry;
}

/**
 * Serialises a registry in format 2 at the cost of what changed, with the same validation as a full read.
 *
 * The full check (`readRegistry`) is: every line passes `validateEntry` on its own, and no id appears twice. So:
 * - each entry object's line is computed and validated once (`validateEntry` on `JSON.parse` of exactly that
 *   line's text) and cached against the object, which is frozen so the line can never go stale;
 * - the set of ids of the last validated registry is kept; a new text adds the ids of its new entries and drops
 *   those of removed ones, refusing any id still held;
 * - order comes from merging the new entries into the previous (sorted) list.
 * A one-asset change thus stringifies and validates one line, plus O(n) reference bookkeeping and the join.
 * When that check fails, the reader runs on the from-scratch text, so the error is exactly the full check's.
 */
export class RegistryLines {
  private readonly lines = new WeakMap<RegistryEntry, Line>();
  /** The last serialised (or seeded) registry in file order: entries, their line bodies, the reader's entries. */
  private order: Column = { entries: [], bodies: [], canonical: [] };
  /** The entries of `order`, and its entries by id: built when a write first needs them (an open never does). */
  private memberSet: Set<RegistryEntry> | undefined = new Set();
  private idMap: Map<string, RegistryEntry> | undefined = new Map();

  constructor(
    private readonly file: string,
    private readonly projectRoot: string,
  ) {}

  /**
   * Adopts what the reader validated. Lines are kept only when their text is what the writer would produce.
   * Returns true when the whole text is the writer's canonical text of its entries (its order is then this cache's).
   */
  seed(read: RegistryRead): boolean {
    const { entries, bodies } = read;
    let sorted = true;
    const matches = entries.map((entry, index) => {
      const body = bodies?.[index];
      if (index > 0 && compareEntries(entries[index - 1]!, entry) >= 0) sorted = false;
      if (body !== undefined && body === entryBody(entry)) {
        freezeEntry(entry);
        return true;
      }
      shareEmpty(entry);
      return false;
    });
    const usable = sorted && bodies !== undefined && matches.every(Boolean);
    if (usable) {
      // Each line is its entry's canonical body: the order's columns rebuild it when a write needs it, so neither the
      // file's text nor line objects are kept (the bodies are slices that would hold the whole text).
      this.remember({ entries, bodies: undefined, canonical: entries });
      return true;
    }
    entries.forEach((entry, index) => {
      if (matches[index]) this.lines.set(entry, { body: flat(bodies![index]!), canonical: entry });
    });
    this.remember({ entries: [], bodies: [], canonical: [] });
    return false;
  }

  /**
   * `seed` of a text known to be the writer's canonical text of its entries, in order (the load cache vouches for it):
   * each line is adopted as is, without serialising every entry again to compare. The per-entry line cache is not
   * filled: an entry of the order has its line in the order's columns, and one that leaves it and comes back is
   * validated again (100k WeakMap entries at open cost more in garbage collection than they ever save).
   */
  seedCanonical(read: RegistryRead): void {
    const { entries } = read;
    for (const entry of entries) freezeEntry(entry);
    this.remember({ entries, bodies: undefined, canonical: entries });
  }

  /**
   * The format 2 text of `entries`, validated. Throws the reader's own INVALID_REGISTRY / path error otherwise.
   * `change` is what differs from the previous order (canonical entries), when it was found without a full check.
   */
  serialize(entries: readonly RegistryEntry[]): Serialized {
    const next = new Set(entries);
    // The same object twice is a duplicate id: the full check names it.
    if (next.size !== entries.length) return this.fullCheck(entries);
    const kept: Column & { bodies: string[] } = { entries: [], bodies: [], canonical: [] };
    const removed: RegistryEntry[] = [];
    const removedCanonical: RegistryEntry[] = [];
    const { entries: previous, canonical } = this.order;
    const bodies = bodiesOf(this.order);
    for (let index = 0; index < previous.length; index++) {
      const entry = previous[index]!;
      if (!next.has(entry)) {
        removed.push(entry);
        removedCanonical.push(canonical[index]!);
        continue;
      }
      kept.entries.push(entry);
      kept.bodies.push(bodies[index]!);
      kept.canonical.push(canonical[index]!);
    }
    const added: RegistryEntry[] = [];
    const addedIds = new Set<string>();
    for (const entry of entries) {
      if (this.members.has(entry)) continue;
      const holder = this.ids.get(entry.id);
      if ((holder !== undefined && next.has(holder)) || addedIds.has(entry.id)) return this.fullCheck(entries);
      addedIds.add(entry.id);
      if (!this.lines.has(entry) && !this.validateLine(entry)) return this.fullCheck(entries);
      added.push(entry);
    }
    added.sort(compareEntries);
    const merged = added.length === 0 ? kept : this.merge(kept, added);
    for (const entry of removed) if (this.ids.get(entry.id) === entry) this.ids.delete(entry.id);
    for (const entry of added) this.ids.set(entry.id, entry);
    this.order = merged;
    this.members = next;
    const change = { removed: removedCanonical, added: this.takeCanonical(added) };
    const text = layoutRegistry(merged.bodies);
    this.shed();
    return { text, canonical: merged.canonical, entries: merged.entries, change };
  }

  /** The entry of the current order with this id, if any. */
  held(id: string): RegistryEntry | undefined {
    return this.ids.get(id);
  }

  /** The entries of the current order (file order). Never changed in place: each change makes new arrays. */
  get current(): readonly RegistryEntry[] {
    return this.order.entries;
  }

  /**
   * The current order with a few entries changed by id (`null` removes the id, an entry adds or replaces it), at
   * the cost of what changed: each new line is validated as in `serialize`, each id found and each line placed by
   * binary search. Ids stay unique by construction (one entry per id). Undefined when the change is not small or a
   * line fails its check: the caller then goes the whole-list way, whose full check reports the problem.
   */
  applyChange(net: ReadonlyMap<string, RegistryEntry | null>): Serialized | undefined {
    if (net.size > SMALL_CHANGE) return undefined;
    const removals: number[] = [];
    const additions: RegistryEntry[] = [];
    for (const [id, next] of net) {
      const held = this.ids.get(id);
      if (held !== undefined && held === next) continue;
      if (held !== undefined) {
        const index = this.indexOf(held);
        if (index < 0) return undefined;
        removals.push(index);
      }
      if (next === null) continue;
      if (next.id !== id || this.members.has(next)) return undefined;
      if (!this.lines.has(next) && !this.validateLine(next)) return undefined;
      additions.push(next);
    }
    // Copies, not edits: the previous arrays may be held by a snapshot or a caller.
    const out: Column & { bodies: string[] } = {
      entries: this.order.entries.slice(),
      bodies: bodiesOf(this.order).slice(),
      canonical: this.order.canonical.slice(),
    };
    const removed: RegistryEntry[] = [];
    for (const index of removals.sort((a, b) => b - a)) {
      const [entry] = out.entries.splice(index, 1);
      out.bodies.splice(index, 1);
      removed.push(...out.canonical.splice(index, 1));
      this.members.delete(entry!);
      if (this.ids.get(entry!.id) === entry) this.ids.delete(entry!.id);
    }
    for (const entry of additions) {
      const at = upperBound(out.entries, entry);
      const line = this.lines.get(entry)!;
      out.entries.splice(at, 0, entry);
      out.bodies.splice(at, 0, line.body);
      out.canonical.splice(at, 0, line.canonical);
      this.members.add(entry);
      this.ids.set(entry.id, entry);
    }
    this.order = out;
    const change = { removed: removed.reverse(), added: this.takeCanonical(additions) };
    const text = layoutRegistry(out.bodies);
    this.shed();
    return { text, canonical: out.canonical, entries: out.entries, change };
  }

  /**
   * The reader's entries of lines that just joined the order, whose columns hold them from now on: their cached
   * lines are dropped (an object per entry and a weak-map slot, 100k of them after a large add, for nothing). One that
   * leaves the order and comes back is validated again.
   */
  private takeCanonical(added: readonly RegistryEntry[]): RegistryEntry[] {
    return added.map((entry) => {
      const { canonical } = this.lines.get(entry)!;
      this.lines.delete(entry);
      return canonical;
    });
  }

  /** Where `entry` (this very object) sits in the current order, or -1. */
  private indexOf(entry: RegistryEntry): number {
    const { entries } = this.order;
    const at = lowerBound(entries, entry);
    return entries[at] === entry ? at : -1;
  }

  /** Validates one new line exactly as the reader does: `validateEntry` on the parse of the line's own text. */
  private validateLine(entry: RegistryEntry): boolean {
    const body = entryBody(entry);
    let canonical: RegistryEntry;
    try {
      canonical = validateEntry(JSON.parse(body), 0, this.file, this.projectRoot);
    } catch {
      return false;
    }
    // The reader's copy is almost always the entry itself, field for field: then the entry stands for it, and the
    // lines of a 100k add do not keep a second 100k entries (with their id and path strings) for the daemon's life.
    const frozen = freezeEntry(entry);
    this.lines.set(frozen, { body, canonical: sameEntryValues(frozen, canonical) ? frozen : freezeEntry(canonical) });
    return true;
  }

  /** The from-scratch path: serialise everything and run the reader on it. Throws its error, or adopts the result. */
  private fullCheck(entries: readonly RegistryEntry[]): Serialized {
    const text = serializeRegistry(entries);
    const read = readRegistry(text, this.file, this.projectRoot);
    // Reached only when the quick check saw a problem the reader did not (it should not happen): trust the reader.
    const sorted = [...entries].sort(compareEntries);
    const bodies = [...read.bodies!];
    sorted.forEach((entry, index) =>
      this.lines.set(freezeEntry(entry), { body: bodies[index]!, canonical: freezeEntry(read.entries[index]!) }),
    );
    this.remember({ entries: sorted, bodies, canonical: read.entries });
    return { text, canonical: read.entries, entries: sorted };
  }

  /** Merges sorted new entries into the kept ones (both in file order). */
  private merge(kept: Column & { bodies: string[] }, added: readonly RegistryEntry[]): Column & { bodies: string[] } {
    const out: Column & { bodies: string[] } = { entries: [], bodies: [], canonical: [] };
    const push = (entry: RegistryEntry, body: string, canonical: RegistryEntry): void => {
      out.entries.push(entry);
      out.bodies.push(body);
      out.canonical.push(canonical);
    };
    let i = 0;
    let j = 0;
    while (i < kept.entries.length || j < added.length) {
      if (j >= added.length || (i < kept.entries.length && compareEntries(kept.entries[i]!, added[j]!) <= 0)) {
        push(kept.entries[i]!, kept.bodies[i]!, kept.canonical[i]!);
        i++;
      } else {
        const line = this.lines.get(added[j]!)!;
        push(added[j]!, line.body, line.canonical);
        j++;
      }
    }
    return out;
  }

  /**
   * After a write of a small file (a shard), forgets what the next write can rebuild from the entries for less than
   * the write itself costs: the line bodies, the member set and the id map. A 100k add into 256 shards kept 100k
   * bodies, a set and a map of 100k for the daemon's life (~22 MB, the top of its memory under load); the next
   * change to a shard of ~400 lines stringifies ~400 lines again. A large file keeps them: there a one-line change
   * would stringify every line again.
   */
  private shed(): void {
    if (this.order.entries.length > SHED_LIMIT) return;
    if (this.order.bodies !== undefined) this.order = { ...this.order, bodies: undefined };
    this.memberSet = undefined;
    this.idMap = undefined;
  }

  private remember(order: Column): void {
    this.order = order;
    this.memberSet = undefined;
    this.idMap = undefined;
  }

  private get members(): Set<RegistryEntry> {
    return (this.memberSet ??= new Set(this.order.entries));
  }

  private set members(members: Set<RegistryEntry>) {
    this.memberSet = members;
  }

  private get ids(): Map<string, RegistryEntry> {
    if (this.idMap === undefined) {
      this.idMap = new Map();
      for (const entry of this.order.entries) this.idMap.set(entry.id, entry);
    }
    return this.idMap;
  }
}

/** Files of at most this many lines drop what a write can rebuild (see `shed`). */
const SHED_LIMIT = 4096;

/** Above this many changed ids, one pass over the list beats a binary search and a splice per id. */
const SMALL_CHANGE = 64;

/** A serialised registry: its text, the reader's entries for it, the given entries in file order, and (when known) what
 * changed. */
export interface Serialized {
  text: string;
  canonical: RegistryEntry[];
  entries: RegistryEntry[];
  change?: { removed: RegistryEntry[]; added: RegistryEntry[] };
}

/** Parallel arrays, one slot per line in file order. `bodies` undefined: each is `entryBody` of its entry. */
interface Column {
  entries: RegistryEntry[];
  bodies: string[] | undefined;
  canonical: RegistryEntry[];
}

/** The line bodies of a column, built from its entries the first time a write needs them. */
function bodiesOf(column: Column): string[] {
  return (column.bodies ??= column.entries.map(entryBody));
}

/** A copy of a line's text that does not keep the file's whole text alive (a slice of it would). */
function flat(body: string): string {
  return Buffer.from(body, 'utf8').toString('utf8');
}

/** The settings of every entry that has none: one frozen object (JSON `{}` like any empty one). */
export const NO_SETTINGS: RegistryEntry['settings'] = Object.freeze({});
/** The tags of every entry that has none: one frozen array (JSON `[]`). */
export const NO_TAGS: RegistryEntry['tags'] = Object.freeze([]) as unknown as RegistryEntry['tags'];

/**
 * Entries are shared by snapshots and cached lines; freezing turns any in-place edit into an error, not a stale
 * line. Empty settings and tags become the shared frozen ones first: nearly every entry has none, and 100k empty
 * objects and arrays held ~8.5 MB for the daemon's life.
 */
function freezeEntry(entry: RegistryEntry): RegistryEntry {
  if (!Object.isFrozen(entry)) {
    shareEmpty(entry);
    Object.freeze(entry.settings);
    Object.freeze(entry.tags);
    Object.freeze(entry);
  }
  return entry;
}

/** Points an entry (not frozen yet) with no settings or no tags at the shared empty ones. */
function shareEmpty(entry: RegistryEntry): void {
  if (Object.isFrozen(entry)) return;
  if (entry.settings !== NO_SETTINGS && isEmptyRecord(entry.settings)) entry.settings = NO_SETTINGS;
  if (entry.tags !== NO_TAGS && entry.tags.length === 0) entry.tags = NO_TAGS;
}

/** True for a plain object with no own keys (what `{}` parses to). */
export function isEmptyRecord(record: object): boolean {
  for (const _key in record) return false;
  return Object.getPrototypeOf(record) === Object.prototype;
}
