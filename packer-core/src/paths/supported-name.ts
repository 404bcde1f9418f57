/**
 * Which file names the registry can hold. One rule, used by the scanner (what it may offer as untracked), the
 * registry reader (what it accepts) and the planners (what they may register):
 * - no backslash: Windows reads it as a separator, and user input treats it as one, so it cannot round-trip;
 * - no control characters (C0, DEL, C1): invisible in listings, unsafe in terminals, refused by Windows;
 * - valid Unicode text, i.e. names that are valid UTF-8 on disk (a JSON registry holds text, not raw bytes).
 */

// C0 controls, DEL and C1 controls, plus the backslash.
const UNSUPPORTED_CHAR = /[\\\u0000-\u001f\u007f-\u009f]/;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why the registry cannot hold `name` (a name or a whole `/`-separated path), or undefined when it can. */
export function unsupportedNameReason(name: string): string | undefined {
  const match = UNSUPPORTED_CHAR.exec(name);
  if (match) {
    return match[0] === '\\' ? 'a backslash' : `a control character (U+${codeOf(match[0].charCodeAt(0))})`;
  }
  if (LONE_SURROGATE.test(name)) return 'an unpaired surrogate (not valid UTF-8)';
  return undefined;
}

/**
 * A printable, unambiguous form of a path for messages and diagnostics: `\` → `\\`, C0 and DEL → `\xHH`,
 * C1 → `\u00HH`, unpaired surrogates → `\uDHHH`. A supported path comes back unchanged; an escaped one always
 * holds a backslash, so it never equals a path the registry can hold.
 */
export function escapePath(text: string): string {
  return text.replace(/[\\\u0000-\u001f\u007f-\u009f\ud800-\udfff]/gu, (char) => {
    if (char === '\\') return '\\\\';
    // With the `u` flag a well-formed surrogate pair is one code point above U+FFFF, so only lone halves match.
    const code = char.codePointAt(0)!;
    return code < 0x80 ? `\\x${hex2(code)}` : `\\u${hex2(code).padStart(4, '0')}`;
  });
}

/** A raw on-disk name as text: valid UTF-8 runs escaped like `escapePath`, every invalid byte as `\xHH`. */
export function escapeRawName(bytes: Uint8Array): string {
  let out = '';
  let run = 0;
  let index = 0;
  const flush = (end: number): void => {
    if (end > run) out += escapePath(Buffer.from(bytes.subarray(run, end)).toString('utf8'));
  };
  while (index < bytes.length) {
    const length = utf8SequenceLength(bytes, index);
    if (length > 0) {
      index += length;
      continue;
    }
    flush(index);
    out += `\\x${hex2(bytes[index]!)}`;
    index += 1;
    run = index;
  }
  flush(index);
  return out;
}

/** The name as text when the bytes are valid UTF-8, else undefined (Node would silently put U+FFFD in their place). */
export function decodeName(bytes: Uint8Array): string | undefined {
  for (let index = 0; index < bytes.length;) {
    const length = utf8SequenceLength(bytes, index);
    if (length === 0) return undefined;
    index += length;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** Length of the well-formed UTF-8 sequence at `index` (no overlongs, no surrogates, ≤ U+10FFFF), or 0. */
function utf8SequenceLength(bytes: Uint8Array, index: number): number {
  const lead = bytes[index]!;
  if (lead < 0x80) return 1;
  let length: number;
  let min: number;
  if (lead >= 0xc2 && lead <= 0xdf) [length, min] = [2, 0x80];
  else if (lead >= 0xe0 && lead <= 0xef) [length, min] = [3, 0x800];
  else if (lead >= 0xf0 && lead <= 0xf4) [length, min] = [4, 0x10000];
  else return 0;
  if (index + length > bytes.length) return 0;
  let code = lead & (0x7f >> length);
  for (let offset = 1; offset < length; offset++) {
    const next = bytes[index + offset]!;
    if ((next & 0xc0) !== 0x80) return 0;
    code = (code << 6) | (next & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

function hex2(code: number): string {
  return code.toString(16).padStart(2, '0');
}

function codeOf(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, '0');
}
