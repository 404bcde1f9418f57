// Tags are identifiers: one spelling per tag, whichever way it came in (a CLI flag, a pack's `tags`, a registry
// written by hand or by an older packer). Pure: safe in a browser bundle.

/**
 * The one form of a tag: Unicode NFC (`café` typed precomposed or as `e` + combining accent is one tag) with
 * surrounding whitespace trimmed (` x ` is `x`). Every way in normalises: mutations, `assets.list` filters, pack
 * selectors, the registry reader.
 */
export function normalizeTag(tag: string): string {
  return tag.normalize('NFC').trim();
}

/** Sorted, de-duplicated normalised tags: two spellings of one tag become one. */
export function normalizeTagList(tags: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const tag of tags) out.add(normalizeTag(tag));
  return [...out].sort();
}

/**
 * Why a tag (as given) cannot be one, or undefined: empty once trimmed, or holding a control character (a tab or
 * newline inside it, an escape sequence), which no terminal or filter shows faithfully.
 */
export function tagProblem(tag: string): string | undefined {
  const normalized = normalizeTag(tag);
  if (normalized === '') return 'is empty once surrounding whitespace is trimmed';
  const control = /[\u0000-\u001f\u007f-\u009f]/u.exec(normalized);
  if (control)
    return `holds the control character U+${control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return undefined;
}

/**
 * A tag as messages show it: JSON-quoted, so surrounding spaces, tabs and escape sequences are visible, with DEL
 * and the C1 controls (which JSON leaves raw) escaped as `\u00HH` too. Never holds a raw control character.
 */
export function quoteTag(tag: string): string {
  return JSON.stringify(tag).replace(
    /[\u007f-\u009f]/gu,
    (char) => `\\u${char.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  );
}
