/**
 * Hands `JSON.stringify(value, null, 2)` to `put` in pieces, the same text byte for byte: each property of a
 * top-level object, and each element of a top-level property that is an array of plain values, is serialised on its
 * own. A pack manifest's 100k entries never become one string (with its UTF-8 copy, ~80 MB held at once), only one
 * entry's text at a time. Anything else is written as JSON.stringify writes it.
 */
export function putPrettyJson(put: (text: string) => void, value: unknown): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || hasToJson(value)) {
    put(JSON.stringify(value, null, 2) ?? 'null');
    return;
  }
  let first = true;
  for (const [key, item] of Object.entries(value)) {
    const opening = first ? '{\n' : ',\n';
    if (Array.isArray(item) && item.length > 0 && !hasToJson(item) && item.every((element) => !hasToJson(element))) {
      put(`${opening}  ${JSON.stringify(key)}: `);
      // An index loop, not forEach: a hole is written as null, as JSON.stringify writes it.
      for (let index = 0; index < item.length; index++)
        put(`${index === 0 ? '[\n' : ',\n'}    ${indented(item[index], '    ')}`);
      put('\n  ]');
    } else {
      // JSON.stringify decides whether the property is written at all, and how (toJSON with its key, a boxed value).
      const property = JSON.stringify({ [key]: item }, null, 2);
      if (property === '{}') continue;
      put(`${opening}${property.slice(2, -2)}`);
    }
    first = false;
  }
  put(first ? '{}' : '\n}');
}

/** An array element as JSON.stringify(value, null, 2) writes it at a depth indented by `indent` (an undefined,
 * function or symbol element is `null`). */
function indented(value: unknown, indent: string): string {
  return (JSON.stringify(value, null, 2) ?? 'null').replace(/\n/g, `\n${indent}`);
}

/** Whether JSON.stringify would call the value's own `toJSON`. */
export function hasToJson(value: unknown): boolean {
  return value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}
