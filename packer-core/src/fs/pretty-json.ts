/**
 * Hands `JSON.stringify(value, null, 2)` to `put` in pieces, the same text byte for byte: each property of a
 * top-level object, and each element of a top-level property that is an array, is serialised on its own. A pack
 * manifest's 100k entries never become one string (with its UTF-8 copy, ~80 MB held at once), only one entry's text
 * at a time. Anything else is written as JSON.stringify writes it.
 */
export function putPrettyJson(put: (text: string) => void, value: unknown): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || hasToJson(value)) {
    put(JSON.stringify(value, null, 2) ?? 'null');
    return;
  }
  let first = true;
  for (const [key, item] of Object.entries(value)) {
    // What JSON.stringify leaves out of an object.
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    put(`${first ? '{\n' : ',\n'}  ${JSON.stringify(key)}: `);
    first = false;
    if (Array.isArray(item) && item.length > 0 && !hasToJson(item)) {
      item.forEach((element, index) => put(`${index === 0 ? '[\n' : ',\n'}    ${indented(element, '    ')}`));
      put('\n  ]');
    } else put(indented(item, '  '));
  }
  put(first ? '{}' : '\n}');
}

/** `value` as JSON.stringify(value, null, 2) writes it at a depth indented by `indent` (inside an array, an
 * undefined or function element is `null`). */
function indented(value: unknown, indent: string): string {
  return (JSON.stringify(value, null, 2) ?? 'null').replace(/\n/g, `\n${indent}`);
}

function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}
