/** A JSON syntax error at a 0-based character offset. */
export interface JsonSyntaxError {
  offset: number;
  line: number;
  column: number;
  message: string;
}

type Context = 'array' | 'object';
// What may come next: a value, a key (or '}' on an empty object), ':' or a separator (',' or the closer).
type Expect = 'value' | 'first-value' | 'key' | 'first-key' | 'colon' | 'separator';

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;
const HEX4 = /[0-9a-fA-F]{4}/y;
// A run of string characters that need no attention: skipped by the regex engine, not one by one.
const PLAIN_RUN = /[^"\\\u0000-\u001f]*/y;

/**
 * Validates JSON text and returns it minified: whitespace between tokens removed, every token copied
 * verbatim (numbers keep their digits, strings their escapes, so nothing is reinterpreted). Iterative, so
 * deep nesting cannot overflow the stack. On a syntax error, reports the offset with line and column.
 */
export function minifyJson(text: string): { ok: true; output: string } | { ok: false; error: JsonSyntaxError } {
  const out: string[] = [];
  const stack: Context[] = [];
  let expect: Expect = 'value';
  let done = false;
  let i = 0;
  const fail = (message: string) => ({ ok: false as const, error: locate(text, i, message) });
  while (i < text.length) {
    const char = text[i]!;
    if (WHITESPACE.has(char)) {
      i++;
      continue;
    }
    if (done) return fail(`Unexpected ${describe(char)} after the end of the JSON value`);
    const top = stack[stack.length - 1];
    if (expect === 'colon') {
      if (char !== ':') return fail(`Expected ':' after an object key, got ${describe(char)}`);
      out.push(':');
      i++;
      expect = 'value';
      continue;
    }
    if (expect === 'separator') {
      const closer = top === 'array' ? ']' : '}';
      if (char === ',') {
        out.push(',');
        i++;
        expect = top === 'array' ? 'value' : 'key';
      } else if (char === closer) {
        out.push(closer);
        i++;
        stack.pop();
        if (stack.length === 0) done = true;
      } else return fail(`Expected ',' or '${closer}', got ${describe(char)}`);
      continue;
    }
    if ((expect === 'first-value' && char === ']') || (expect === 'first-key' && char === '}')) {
      out.push(char);
      i++;
      stack.pop();
      if (stack.length === 0) done = true;
      else expect = 'separator';
      continue;
    }
    if (expect === 'key' || expect === 'first-key') {
      if (char !== '"') return fail(`Expected a string key, got ${describe(char)}`);
      const scanned = scanString(text, i);
      if ('errorAt' in scanned) {
        i = scanned.errorAt;
        return fail(scanned.message);
      }
      out.push(scanned.token);
      i += scanned.token.length;
      expect = 'colon';
      continue;
    }
    // A value.
    if (char === '[' || char === '{') {
      out.push(char);
      i++;
      stack.push(char === '[' ? 'array' : 'object');
      expect = char === '[' ? 'first-value' : 'first-key';
      continue;
    }
    if (char === '"') {
      const scanned = scanString(text, i);
      if ('errorAt' in scanned) {
        i = scanned.errorAt;
        return fail(scanned.message);
      }
      out.push(scanned.token);
      i += scanned.token.length;
      if (stack.length === 0) done = true;
      else expect = 'separator';
      continue;
    }
    const token = char === '-' || (char >= '0' && char <= '9') ? match(NUMBER, text, i) : match(LITERAL, text, i);
    if (!token) return fail(`Unexpected ${describe(char)}`);
    // A number or literal must end at a delimiter: `01`, `truex` and `1.` are errors.
    const next = text[i + token.length];
    if (next !== undefined && !WHITESPACE.has(next) && !',]}:'.includes(next)) {
      i += token.length;
      return fail(`Unexpected ${describe(next)} after ${JSON.stringify(token)}`);
    }
    out.push(token);
    i += token.length;
    if (stack.length === 0) done = true;
    else expect = 'separator';
  }
  if (!done)
    return fail(
      stack.length > 0
        ? `Unexpected end of input inside an ${stack[stack.length - 1]}`
        : 'Unexpected end of input: no JSON value',
    );
  return { ok: true, output: out.join('') };
}

/** The string token starting at `at` (a '"'), or the offset of what makes it invalid (end of input, a raw control
 * character, a bad escape). */
function scanString(text: string, at: number): { token: string } | { errorAt: number; message: string } {
  for (let i = at + 1; i < text.length; i++) {
    PLAIN_RUN.lastIndex = i;
    PLAIN_RUN.exec(text);
    i = PLAIN_RUN.lastIndex;
    if (i >= text.length) break;
    const code = text.charCodeAt(i);
    if (code === 0x22) return { token: text.slice(at, i + 1) };
    if (code < 0x20) return { errorAt: i, message: 'Raw control character in a string (escape it)' };
    if (code === 0x5c) {
      const next = text[i + 1];
      if (next === 'u') {
        if (!match(HEX4, text, i + 2)) return { errorAt: i, message: 'Invalid \\u escape (needs 4 hex digits)' };
        i += 5;
      } else if (next !== undefined && '"\\/bfnrt'.includes(next)) i++;
      else return { errorAt: i, message: 'Invalid escape in a string' };
    }
  }
  return { errorAt: text.length, message: 'Unterminated string' };
}

function match(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0];
}

function describe(char: string): string {
  return char === '"' ? "'\"'" : `'${char}'`;
}

/** 1-based line and column of a character offset (lines end at \n, \r\n or \r). */
function locate(text: string, offset: number, message: string): JsonSyntaxError {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const char = text[i];
    if (char === '\n' || (char === '\r' && text[i + 1] !== '\n')) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1, message };
}
