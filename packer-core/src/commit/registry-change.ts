import { createHash } from 'node:crypto';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { entryBody, serializeRegistry } from '../registry/registry-codec.js';

/**
 * The registry half of a journal: the entries a commit takes out and puts in, and the sha256 of the registry bytes
 * before and after. Recovery finds which side is on disk by its digest and rebuilds the other from it and the
 * change; the rebuilt text must hash to the recorded digest, or nothing is executed (INVALID_JOURNAL).
 *
 * The after side is always the writer's canonical text (`serializeRegistry` of its entries), so it can be rebuilt.
 * The before side can be rebuilt only when it was canonical too; otherwise (a format 1 file about to be migrated, a
 * hand-formatted one) the journal carries it whole, once.
 */
export interface RegistryChange {
  /** sha256 (hex) of the registry bytes before the operation; null when there was no registry file. */
  before: string | null;
  /** sha256 (hex) of the registry bytes after the operation. */
  after: string;
  /** Entries the operation takes out, as their lines held them. An update is a removal and an addition of one id. */
  removed: RegistryEntry[];
  /** Entries the operation puts in, canonical. */
  added: RegistryEntry[];
  /** The registry text before, whole, only when it cannot be rebuilt from the after side (not canonical). */
  beforeText?: string;
}

/** The sha256 (hex) a journal records for registry bytes. */
export function registryDigest(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What differs between two registries, by id: entries of `before` not kept as they are, entries of `after` that are
 * new or changed. */
export function diffRegistryEntries(
  before: readonly RegistryEntry[],
  after: readonly RegistryEntry[],
  body: (entry: RegistryEntry) => string = entryBody,
): Pick<RegistryChange, 'removed' | 'added'> {
  const previous = new Map(before.map((entry) => [entry.id, entry]));
  const added: RegistryEntry[] = [];
  const kept = new Set<string>();
  for (const entry of after) {
    const held = previous.get(entry.id);
    if (held !== undefined && (held === entry || body(held) === body(entry))) kept.add(entry.id);
    else added.push(entry);
  }
  const removed = before.filter((entry) => !kept.has(entry.id));
  return { removed, added };
}

/**
 * The canonical text of `from` with `take` taken out and `put` put in: the after side from the before entries
 * (take = removed, put = added) or the reverse. Throws when the change does not fit `from` (an entry to take out
 * is missing or differs, an entry to put in is already there): that registry is not the one the journal describes.
 */
export function rebuildRegistry(
  from: readonly RegistryEntry[],
  take: readonly RegistryEntry[],
  put: readonly RegistryEntry[],
): string {
  const byId = new Map(from.map((entry) => [entry.id, entry]));
  for (const entry of take) {
    const held = byId.get(entry.id);
    if (held === undefined) throw new Error(`asset ${entry.id} is not in it`);
    if (entryBody(held) !== entryBody(entry)) throw new Error(`asset ${entry.id} is in it with other values`);
    byId.delete(entry.id);
  }
  for (const entry of put) {
    if (byId.has(entry.id)) throw new Error(`asset ${entry.id} is in it already`);
    byId.set(entry.id, entry);
  }
  return serializeRegistry([...byId.values()]);
}

/** One side of a commit's registry: its digest, and its text (rebuilt on demand, at most once). */
export interface RegistrySide {
  sha256: string;
  text(): string;
}

/** Both sides of one registry file of a commit; `before` is null when there was no such file, `after` when the
 * commit deletes it. */
export interface RegistrySides {
  /** Project-relative: `packer.registry.json` or `packer.registry/<hex>.json`. */
  file: string;
  before: RegistrySide | null;
  after: RegistrySide | null;
}

/** A side whose text is computed when first asked for. */
export function lazySide(sha256: string, text: () => string): RegistrySide {
  let value: string | undefined;
  return { sha256, text: () => (value ??= text()) };
}
