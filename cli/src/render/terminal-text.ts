// C0 controls (newline and tab included: a value must not start a line of its own or shift columns), DEL, C1
// controls (U+009B is a one-byte CSI on many terminals) and the bidi embeddings, overrides and isolates that can
// make a name read backwards.
const CONTROLS = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text from the project (file names, tags, kinds, messages that quote them) made safe to print for a person:
 * every control character and bidi override shows as an escape (`\x1B`, `\u202E`) instead of acting on the
 * terminal. Every human renderer passes foreign text through this; `--json` output stays raw (JSON escapes it).
 */
export function terminalText(value: unknown): string {
  return String(value).replace(CONTROLS, (char) => SHORT[char] ?? escapeCode(char.charCodeAt(0)));
}

function escapeCode(code: number): string {
  const hex = code.toString(16).toUpperCase();
  return code <= 0xff ? `\\x${hex.padStart(2, '0')}` : `\\u${hex.padStart(4, '0')}`;
}
