import { DiagnosticCodes, type Diagnostic, type DiagnosticCode } from '../contract/diagnostics.js';
import { PersistentMap } from './persistent-map.js';

/**
 * A snapshot's diagnostics by subject, kept between revisions: each finding lives under (section, key), where the
 * key names what it is about (a path, an asset id, a lower-case path group). A watcher batch replaces the keys of
 * the paths it touched and nothing else; the per-asset index (for badges) and the severity counts follow each
 * replacement. Sections are listed in this order when the snapshot's list is materialised.
 */
export const SECTIONS = {
  extra: '00',
  registry: '01',
  config: '02',
  unsupported: '03',
  sidecarRegistered: '04',
  divergence: '05',
  ambiguous: '06',
  leftBehind: '07',
  orphan: '08',
  // 09: UNTRACKED_FILE, derived from the untracked set when the list is materialised (see build-snapshot.ts).
  duplicate: '10',
  entry: '11',
  caseCollision: '12',
  escape: '13',
  nonPortable: '14',
} as const;
export type Section = (typeof SECTIONS)[keyof typeof SECTIONS];

const SEPARATOR = '\u0000';
type Counts = { blocker: number; warning: number; info: number; keys: number };
const NONE: Counts = Object.freeze({ blocker: 0, warning: 0, info: 0, keys: 0 });

export class DiagnosticBook {
  static readonly EMPTY = new DiagnosticBook(PersistentMap.empty(), PersistentMap.empty(), new Map());

  private constructor(
    private readonly items: PersistentMap<readonly Diagnostic[]>,
    /** Asset id → the diagnostics naming it, for `worstSeverity`. */
    readonly byAsset: PersistentMap<readonly Diagnostic[]>,
    private readonly counts: ReadonlyMap<Section, Counts>,
  ) {}

  get(section: Section, key: string): readonly Diagnostic[] | undefined {
    return this.items.get(section + SEPARATOR + key);
  }

  /** The keys and findings of one section, in key order. */
  *section(section: Section): IterableIterator<[string, readonly Diagnostic[]]> {
    const prefix = section + SEPARATOR;
    for (const [key, list] of this.items.from(prefix)) {
      if (!key.startsWith(prefix)) return;
      yield [key.slice(prefix.length), list];
    }
  }

  countsOf(section: Section): Readonly<Counts> {
    return this.counts.get(section) ?? NONE;
  }

  edit(): BookEdit {
    return new BookEdit(this, this.items, this.byAsset, this.counts);
  }

  /** @internal */
  static of(
    items: PersistentMap<readonly Diagnostic[]>,
    byAsset: PersistentMap<readonly Diagnostic[]>,
    counts: ReadonlyMap<Section, Counts>,
  ): DiagnosticBook {
    return new DiagnosticBook(items, byAsset, counts);
  }
}

/** One revision's changes to a book; `commit` gives the new book and the asset ids whose findings changed. */
export class BookEdit {
  private readonly changes = new Map<string, readonly Diagnostic[] | undefined>();
  private readonly counts: Map<Section, Counts>;
  private readonly assetChanges = new Map<string, Diagnostic[]>();
  readonly dirtyAssets = new Set<string>();

  constructor(
    private readonly base: DiagnosticBook,
    private readonly items: PersistentMap<readonly Diagnostic[]>,
    private readonly byAsset: PersistentMap<readonly Diagnostic[]>,
    counts: ReadonlyMap<Section, Counts>,
  ) {
    this.counts = new Map(counts);
  }

  /** Replaces what (section, key) holds; an empty or absent list removes it. */
  set(section: Section, key: string, list: readonly Diagnostic[] | undefined): void {
    // Nothing to remove from a section that holds nothing: the common case, checked without building the key.
    if ((list === undefined || list.length === 0) && (this.counts.get(section)?.keys ?? 0) === 0) return;
    const full = section + SEPARATOR + key;
    const before = this.changes.has(full) ? this.changes.get(full) : this.items.get(full);
    const after = list && list.length > 0 ? list : undefined;
    if (before === after || (before === undefined && after === undefined)) return;
    if (before && after && sameFindings(before, after)) return;
    this.changes.set(full, after);
    const counts = { ...(this.counts.get(section) ?? NONE) };
    for (const item of before ?? []) counts[item.severity]--;
    for (const item of after ?? []) counts[item.severity]++;
    counts.keys += (after ? 1 : 0) - (before ? 1 : 0);
    this.counts.set(section, counts);
    for (const item of before ?? []) {
      for (const id of assetIdsOf(item)) {
        const list = this.listFor(id);
        const at = list.indexOf(item);
        if (at >= 0) list.splice(at, 1);
      }
    }
    for (const item of after ?? []) for (const id of assetIdsOf(item)) this.listFor(id).push(item);
  }

  /** Makes a section hold exactly `next` (key → findings): keys it no longer names are removed. */
  replaceSection(section: Section, next: ReadonlyMap<string, readonly Diagnostic[]>): void {
    for (const [key] of this.base.section(section)) if (!next.has(key)) this.set(section, key, undefined);
    for (const [key, list] of next) this.set(section, key, list);
  }

  commit(): DiagnosticBook {
    if (this.changes.size === 0) return this.base;
    const byAsset = this.byAsset.with(
      [...this.assetChanges].map(([id, list]): [string, readonly Diagnostic[] | undefined] => [
        id,
        list.length > 0 ? Object.freeze(list) : undefined,
      ]),
    );
    return DiagnosticBook.of(this.items.with(this.changes), byAsset, this.counts);
  }

  private listFor(id: string): Diagnostic[] {
    let list = this.assetChanges.get(id);
    if (!list) {
      list = [...(this.byAsset.get(id) ?? [])];
      this.assetChanges.set(id, list);
      this.dirtyAssets.add(id);
    }
    return list;
  }
}

/** A finding about several assets (DUPLICATE_PATH) badges each of them. */
function assetIdsOf(item: Diagnostic): string[] {
  const ids = item.subjects ? item.subjects.map((subject) => subject.assetId) : [item.assetId];
  return [...new Set(ids.filter((id): id is string => id !== undefined))];
}

/** Recomputed findings equal to the kept ones keep the kept objects (and the badges stay untouched). */
function sameFindings(a: readonly Diagnostic[], b: readonly Diagnostic[]): boolean {
  return a.length === b.length && a.every((item, index) => JSON.stringify(item) === JSON.stringify(b[index]));
}

export function severityOf(code: DiagnosticCode): Diagnostic['severity'] {
  return DiagnosticCodes[code];
}
