import { PackerError } from '../contract/errors.js';

/** Git's conflict marker lines, at git's default size (7). */
export const CONFLICT_MARKERS = { ours: '<<<<<<<', separator: '=======', theirs: '>>>>>>>' } as const;

// A marker line starts with seven (or more: git widens them for nested merges) marker characters, then a space
// or the end of the line. A valid JSON document never has such a line: `<`, `=` and `>` cannot start a token, and
// a string cannot hold a raw newline, so a match means an unresolved merge and nothing else.
const MARKER_LINE = /^(?:<{7,}|={7,}|>{7,})(?: |\r?$)/m;

/** 1-based number of the first conflict marker line in `text`, or undefined when it has none. */
export function conflictMarkerLine(text: string): number | undefined {
  const match = MARKER_LINE.exec(text);
  if (!match) return undefined;
  let line = 1;
  for (let index = text.indexOf('\n'); index !== -1 && index < match.index; index = text.indexOf('\n', index + 1))
    line++;
  return line;
}

/**
 * The reader's error for a registry left with merge conflict markers (by `packer merge-driver` for a true
 * conflict, or by git's own line merge): INVALID_REGISTRY saying where, and how to resolve it. Undefined when the
 * text has no marker line.
 */
export function conflictMarkersError(text: string, file: string): PackerError | undefined {
  const line = conflictMarkerLine(text);
  if (line === undefined) return undefined;
  return new PackerError(
    'INVALID_REGISTRY',
    `${file} has unresolved merge conflict markers (first at line ${line}); the packer is read-only until they are resolved.`,
    {
      file,
      line,
      diagnostic: 'INVALID_REGISTRY',
      hint: "Resolve the conflict markers: in each <<<<<<< … >>>>>>> block keep one side (a side may be empty: an asset moved to another registry file on one branch; `packer merge-driver` printed the command that redoes the other side's change) and delete the marker lines, then run `packer check`.",
    },
  );
}
