import type { RegistryEntry } from '../contract/registry-schema.js';

/**
 * Format 2's text layout. Still one JSON document (`{"version":2,"assets":[…]}`), so `jq`, editors and the JSON
 * Schema keep working, but laid out for git's line-based merge:
 *
 *     {"version":2,"assets":[
 *      {"id":"a_…","path":"assets/a.png",…}
 *     ,{"id":"a_…","path":"assets/b.png",…}
 *     ]}
 *
 * One entry per line, sorted by path; the separator leads the line, so adding or removing an entry anywhere but
 * at the very top changes only that entry's line (a trailing comma would make every addition at the end of the
 * list rewrite the line before it). The header and footer lines never change.
 */
export const REGISTRY_HEADER = '{"version":2,"assets":[';
export const REGISTRY_FOOTER = ']}';

/** Joins entry bodies (already in file order) into the text of a format 2 registry. */
export function layoutRegistry(bodies: readonly string[]): string {
  if (bodies.length === 0) return `${REGISTRY_HEADER}\n${REGISTRY_FOOTER}\n`;
  // One join: no per-line string is built.
  return `${REGISTRY_HEADER}\n ${bodies.join('\n,')}\n${REGISTRY_FOOTER}\n`;
}

/**
 * The entry bodies of a text in exactly the layout `layoutRegistry` writes, or undefined when the text has any
 * other layout (format 1, a hand-formatted file, CRLF line ends): the reader then parses the text as a whole.
 */
export function splitRegistryLines(text: string): string[] | undefined {
  const head = REGISTRY_HEADER + '\n';
  const foot = REGISTRY_FOOTER + '\n';
  if (!text.startsWith(head) || !text.endsWith(foot) || text.length < head.length + foot.length) return undefined;
  const middle = text.slice(head.length, text.length - foot.length);
  if (middle === '') return [];
  if (!middle.endsWith('\n')) return undefined;
  const lines = middle.slice(0, -1).split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.charCodeAt(0) !== (index === 0 ? 0x20 : 0x2c)) return undefined;
    lines[index] = line.slice(1);
  }
  return lines;
}

/**
 * Orders paths by Unicode code point, which is the byte order of their UTF-8 encoding (what `sort` in the C
 * locale, git and other languages' byte comparisons give). JavaScript's `<` compares UTF-16 code units, which
 * differs only when a surrogate (astral character) meets a character in U+E000–U+FFFF.
 */
export function comparePaths(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const x = a.charCodeAt(index);
    const y = b.charCodeAt(index);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/** File order of format 2: by path, then by id (two entries can claim one path; the registry shows that as a
 * diagnostic). */
export function compareEntries(a: RegistryEntry, b: RegistryEntry): number {
  return comparePaths(a.path, b.path) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** First index whose entry does not sort before `entry`. */
export function lowerBound(entries: readonly RegistryEntry[], entry: RegistryEntry): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareEntries(entries[middle]!, entry) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** First index whose entry sorts after `entry`. */
export function upperBound(entries: readonly RegistryEntry[], entry: RegistryEntry): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareEntries(entries[middle]!, entry) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
