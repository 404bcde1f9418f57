/**
 * One value, or a frozen list of two or more. Index values that are nearly always a single item (a path's claims, a
 * lower-case form's paths) are stored this way: a one-item array costs 56 bytes, and two such indexes of 100k paths
 * held 11 MB of them for the daemon's life.
 */
export type OneOrMany<T> = T | readonly T[];

/** The items of a stored value as a list (a fresh one-item array for a single value). */
export function listOf<T>(value: OneOrMany<T> | undefined): readonly T[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** The stored form of a list: undefined when empty, the item alone, or a frozen copy sized to its items. */
export function oneOrMany<T>(list: readonly T[]): OneOrMany<T> | undefined {
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0]!;
  return Object.freeze(list.slice());
}
