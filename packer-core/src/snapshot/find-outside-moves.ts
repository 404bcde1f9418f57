import path from 'node:path';
import type { Diagnostic } from '../contract/diagnostics.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import type { UntrackedFile } from '../contract/snapshot-schema.js';
import type { DigestCache } from '../digest/digest-cache.js';
import { appendAll } from './append-all.js';
import { SIMILARITY_THRESHOLD, similarity, type ContentFingerprint } from './content-fingerprint.js';
import { diagnostic } from './diagnostic.js';

/** Fingerprints for scoring renamed-and-edited files; without it only identical content is matched. */
export interface FingerprintLookup {
  /** The fingerprint recorded for `relative` when its content had `digest`, if one was. */
  lastFingerprint(relative: string, digest: string): ContentFingerprint | undefined;
  /** The fingerprint of an untracked file as it is now (read when first asked). */
  currentFingerprint(relative: string, observation: UntrackedFile['observation']): ContentFingerprint | undefined;
}

/** A missing asset paired with the untracked file that holds its content, or most of it. */
export interface OutsideMove {
  to: string;
  /** For content that changed: git-like score in [0, 1] and why the pair was chosen. Absent for identical content. */
  similarity?: { score: number; reason: string };
}

/** The untracked files to pair with, by size (identical content) and all of them (similar content). */
export interface UntrackedCandidates {
  readonly size: number;
  ofSize(size: number): readonly UntrackedFile[];
  all(): Iterable<UntrackedFile>;
}

export interface OutsideMoves {
  moved: Map<string, OutsideMove>;
  /** AMBIGUOUS_MATCH blockers, one per missing asset that could not be paired. */
  ambiguous: Diagnostic[];
  /** Missing asset id → the files it could be; untracked path → the asset ids it could be. */
  ambiguousAssets: Map<string, string[]>;
  ambiguousFiles: Map<string, string[]>;
}

// git's diff.renameLimit: beyond this many candidate files, similarity is not scored (identical content still pairs).
const SIMILARITY_FILE_LIMIT = 1000;

interface Pair {
  entry: RegistryEntry;
  file: UntrackedFile;
  exact: boolean;
  score: number;
  closeness: number;
}

/**
 * Pairs missing assets with untracked files, the way git detects renames: identical content first (same size
 * and sha256), then content similar enough (see content-fingerprint.ts) among files of the same extension and a
 * comparable size. Pairs rank by (identical, score, name and folder closeness); each rank is settled on its own:
 * a pair unique both ways at its rank is a move, a tie makes every asset and file of it ambiguous. An ambiguity
 * blocks only what it involves: the other pairs stand.
 */
export function findOutsideMoves(
  missing: readonly RegistryEntry[],
  untrackedFiles: readonly UntrackedFile[] | UntrackedCandidates,
  digests: Pick<DigestCache, 'lastKnown'>,
  fingerprints?: FingerprintLookup,
): OutsideMoves {
  const result: OutsideMoves = {
    moved: new Map(),
    ambiguous: [],
    ambiguousAssets: new Map(),
    ambiguousFiles: new Map(),
  };
  const untracked = Array.isArray(untrackedFiles)
    ? candidatesOf(untrackedFiles as readonly UntrackedFile[])
    : (untrackedFiles as UntrackedCandidates);
  if (missing.length === 0 || untracked.size === 0) return result;
  const pairs = [...identicalPairs(missing, untracked, digests)];
  const pairedEntries = new Set(pairs.map((pair) => pair.entry.id));
  const pairedFiles = new Set(pairs.map((pair) => pair.file.path));
  const entries = missing.filter((entry) => !pairedEntries.has(entry.id));
  // Only a missing asset that no identical file explains needs the (whole-set) similarity search.
  if (fingerprints && entries.length > 0) {
    const files = [...untracked.all()].filter((file) => !pairedFiles.has(file.path));
    appendAll(pairs, similarPairs(entries, files, digests, fingerprints));
  }
  settle(pairs, result);
  return result;
}

function candidatesOf(files: readonly UntrackedFile[]): UntrackedCandidates {
  let bySize: Map<number, UntrackedFile[]> | undefined;
  return {
    size: files.length,
    ofSize: (size) => (bySize ??= groupBy(files, (file) => file.observation.size)).get(size) ?? [],
    all: () => files,
  };
}

function identicalPairs(
  missing: readonly RegistryEntry[],
  untracked: UntrackedCandidates,
  digests: Pick<DigestCache, 'lastKnown'>,
): Pair[] {
  const pairs: Pair[] = [];
  for (const entry of missing) {
    const known = digests.lastKnown(entry.path);
    if (!known) continue;
    for (const file of untracked.ofSize(known.size)) {
      if (file.observation.digest === known.digest)
        pairs.push({ entry, file, exact: true, score: 1, closeness: closeness(entry.path, file.path) });
    }
  }
  return pairs;
}

function similarPairs(
  missing: readonly RegistryEntry[],
  untracked: readonly UntrackedFile[],
  digests: Pick<DigestCache, 'lastKnown'>,
  lookup: FingerprintLookup,
): Pair[] {
  const olds: { entry: RegistryEntry; size: number; fingerprint: ContentFingerprint }[] = [];
  for (const entry of missing) {
    const known = digests.lastKnown(entry.path);
    const fingerprint = known && lookup.lastFingerprint(entry.path, known.digest);
    if (known && fingerprint) olds.push({ entry, size: known.size, fingerprint });
  }
  if (olds.length === 0) return [];
  const byExtension = groupBy(olds, (old) => extensionOf(old.entry.path));
  const candidates = untracked.filter((file) =>
    (byExtension.get(extensionOf(file.path)) ?? []).some((old) => comparableSizes(old.size, file.observation.size)),
  );
  if (candidates.length > SIMILARITY_FILE_LIMIT) return [];
  const pairs: Pair[] = [];
  for (const file of candidates) {
    let current: ContentFingerprint | undefined | null = null;
    for (const old of byExtension.get(extensionOf(file.path)) ?? []) {
      if (!comparableSizes(old.size, file.observation.size)) continue;
      if (current === null) current = lookup.currentFingerprint(file.path, file.observation);
      if (!current) break;
      const score = similarity(old.fingerprint, current);
      if (score >= SIMILARITY_THRESHOLD)
        pairs.push({ entry: old.entry, file, exact: false, score, closeness: closeness(old.entry.path, file.path) });
    }
  }
  return pairs;
}

/** Settles pairs rank by rank, best first. */
function settle(pairs: Pair[], result: OutsideMoves): void {
  const rank = (pair: Pair): number =>
    (pair.exact ? 2 : 1) * 1e9 + Math.round(pair.score * 1000) * 1e5 + pair.closeness;
  pairs.sort((a, b) => rank(b) - rank(a));
  const taken = new Set<string>();
  for (let start = 0; start < pairs.length;) {
    let end = start;
    while (end < pairs.length && rank(pairs[end]!) === rank(pairs[start]!)) end++;
    const open = pairs
      .slice(start, end)
      .filter((pair) => !taken.has(`id:${pair.entry.id}`) && !taken.has(`path:${pair.file.path}`));
    const perEntry = groupBy(open, (pair) => pair.entry.id);
    const perFile = groupBy(open, (pair) => pair.file.path);
    const tied: Pair[] = [];
    for (const pair of open) {
      if (perEntry.get(pair.entry.id)!.length === 1 && perFile.get(pair.file.path)!.length === 1) {
        const move: OutsideMove = { to: pair.file.path };
        if (!pair.exact) move.similarity = { score: Math.round(pair.score * 100) / 100, reason: reasonFor(pair) };
        result.moved.set(pair.entry.id, move);
      } else {
        tied.push(pair);
      }
    }
    for (const pair of open) {
      taken.add(`id:${pair.entry.id}`);
      taken.add(`path:${pair.file.path}`);
    }
    for (const pair of tied) {
      push(result.ambiguousAssets, pair.entry.id, pair.file.path);
      push(result.ambiguousFiles, pair.file.path, pair.entry.id);
    }
    for (const [id, files] of groupBy(tied, (pair) => pair.entry.id)) {
      const entry = files[0]!.entry;
      const rivals = [
        ...new Set(files.flatMap((pair) => perFile.get(pair.file.path)!.map((other) => other.entry.path))),
      ].filter((other) => other !== entry.path);
      const how = files[0]!.exact ? 'identical content' : `content ${Math.round(files[0]!.score * 100)}% similar`;
      const also =
        rivals.length > 0
          ? `; ${rivals.join(', ')} ${rivals.length === 1 ? 'is' : 'are'} missing and match${rivals.length === 1 ? 'es' : ''} as well`
          : '';
      result.ambiguous.push(
        diagnostic(
          'AMBIGUOUS_MATCH',
          `${entry.path} is missing and ${files.map((pair) => pair.file.path).join(', ')} ${files.length === 1 ? 'holds' : 'hold'} ${how}, as close by name and folder${also}.`,
          { assetId: id, path: entry.path },
          `Choose with \`packer relink ${entry.path} <file>\` (or drop it with \`packer rm ${id}\`); reconcile leaves these alone and settles the rest.`,
        ),
      );
    }
    start = end;
  }
}

/** Name and folder closeness: same base name, then same folder, then how many leading folders are shared. */
function closeness(from: string, to: string): number {
  const sameBase = path.posix.basename(from) === path.posix.basename(to) ? 1 : 0;
  const fromDir = path.posix.dirname(from);
  const toDir = path.posix.dirname(to);
  const sameDir = fromDir === toDir ? 1 : 0;
  const a = fromDir.split('/');
  const b = toDir.split('/');
  let shared = 0;
  while (shared < a.length && shared < b.length && a[shared] === b[shared]) shared++;
  return sameBase * 20_000 + sameDir * 10_000 + Math.min(shared, 9_999);
}

function reasonFor(pair: Pair): string {
  const parts = [`${Math.round(pair.score * 100)}% of the content kept`];
  if (path.posix.basename(pair.entry.path) === path.posix.basename(pair.file.path)) parts.push('same name');
  if (path.posix.dirname(pair.entry.path) === path.posix.dirname(pair.file.path)) parts.push('same folder');
  return parts.join(', ');
}

function extensionOf(relative: string): string {
  return path.posix.extname(relative).toLowerCase();
}

function comparableSizes(a: number, b: number): boolean {
  return a > 0 && b > 0 && Math.min(a, b) / Math.max(a, b) >= SIMILARITY_THRESHOLD;
}

function groupBy<T, K>(items: Iterable<T>, key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) push(out, key(item), item);
  return out;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
