import { hasToJson } from './pretty-json.js';

/** Arrays longer than this are written an element at a time. */
const LARGE_ARRAY = 64;

/**
 * Hands `JSON.stringify(value)` to `put` in pieces, the same text byte for byte: an array of more than LARGE_ARRAY
 * elements is written one element at a time, and so is every object and array on the way to one. A journal that
 * adds 1M assets (~190 MB of JSON) never becomes one string, nor a UTF-8 copy of one, only one entry's text at a time.
 * Anything else, and whatever has a `toJSON`, is written as JSON.stringify writes it.
 */
export function putCompactJson(put: (text: string) => void, value: unknown): void {
  if (!holdsLarge(value)) {
    put(JSON.stringify(value) ?? 'null');
    return;
  }
  if (Array.isArray(value)) {
    put('[');
    // An index loop, not forEach: a hole is written as null, as JSON.stringify writes it.
    for (let index = 0; index < value.length; index++) {
      if (index > 0) put(',');
      putCompactJson(put, value[index]);
    }
    put(']');
    return;
  }
  let first = true;
  put('{');
  for (const [key, item] of Object.entries(value as object)) {
    if (holdsLarge(item)) {
      put(`${first ? '' : ','}${JSON.stringify(key)}:`);
      putCompactJson(put, item);
    } else {
      // JSON.stringify decides whether the property is written at all, and how (toJSON with its key, a boxed value).
      const property = JSON.stringify({ [key]: item });
      if (property === '{}') continue;
      put(`${first ? '' : ','}${property.slice(1, -1)}`);
    }
    first = false;
  }
  put('}');
}

/** A plain array or object that is, or holds, an array of more than LARGE_ARRAY elements (none with a toJSON). */
function holdsLarge(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || hasToJson(value)) return false;
  if (Array.isArray(value)) {
    if (value.some(hasToJson)) return false;
    return value.length > LARGE_ARRAY || value.some(holdsLarge);
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return false;
  return Object.values(value).some(holdsLarge);
}
