import { PackerError, type ErrorCode } from '../contract/errors.js';

/** Where a JSON parse error sits, as 1-based line and column. */
export function locateJsonError(text: string, error: unknown): { line: number; column: number } | undefined {
  const message = error instanceof Error ? error.message : '';
  const match = /position (\d+)/.exec(message);
  const offset = match ? Number(match[1]) : firstBadOffset(text);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { line, column };
}

/**
 * V8 leaves the position out of some messages ("Unexpected token '}', … is not valid JSON"). Then the error sits
 * right after the longest prefix that could still start a JSON document; prefixes keep that property as they
 * shrink, so a binary search finds it in O(log n) parses.
 */
function firstBadOffset(text: string): number {
  const viable = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length));
      return true;
    } catch (error) {
      const message = (error as Error).message;
      const at = /position (\d+)/.exec(message);
      return message.includes('end of JSON input') || (at !== null && Number(at[1]) >= length);
    }
  };
  // Called after a failed parse: a document that is only unfinished ends too early, so the error is at its end.
  if (viable(text.length)) return text.length;
  let low = 0;
  let high = text.length;
  while (high - low > 1) {
    const middle = (low + high) >>> 1;
    if (viable(middle)) low = middle;
    else high = middle;
  }
  return high - 1;
}

/** Parses JSON text, turning a syntax error into a PackerError that names the file, line and column. */
export function parseJsonFile(text: string, file: string, code: ErrorCode): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const where = locateJsonError(text, error);
    const at = where ? ` at line ${where.line}, column ${where.column}` : '';
    throw new PackerError(
      code,
      `${file} is not valid JSON${at}: ${(error as Error).message}`,
      { file, ...where },
      { cause: error },
    );
  }
}

/** The field a zod issue is about; for an unknown key, the key itself (`daemon.idle`), not its parent object. */
export function issueField(issue: { path: readonly PropertyKey[]; code?: string; keys?: readonly string[] }): string {
  const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys?.[0] : undefined;
  return formatIssuePath(unknownKey === undefined ? issue.path : [...issue.path, unknownKey]);
}

/** Formats a zod issue path as `kinds.image.extensions[0]`. */
export function formatIssuePath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out || '(root)';
}
