import { PackerError, type ErrorCode } from '../contract/errors.js';

/** Where a JSON parse error sits, as 1-based line and column. */
export function locateJsonError(text: string, error: unknown): { line: number; column: number } | undefined {
  const message = error instanceof Error ? error.message : '';
  const match = /position (\d+)/.exec(message);
  if (!match) return undefined;
  const offset = Number(match[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { line, column };
}

/** Parses JSON text, turning a syntax error into a PackerError that names the file, line and column. */
export function parseJsonFile(text: string, file: string, code: ErrorCode): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const where = locateJsonError(text, error);
    const at = where ? ` at line ${where.line}, column ${where.column}` : '';
    throw new PackerError(code, `${file} is not valid JSON${at}: ${(error as Error).message}`, { file, ...where }, { cause: error });
  }
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
