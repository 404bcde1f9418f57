import { tagProblem } from '../contract/tag-name.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import type { PlanBuilder } from './plan-context.js';

/**
 * Reports an INVALID_TAG blocker for each tag a mutation would write that cannot be one (empty once trimmed, a
 * control character inside); returns how many. Tags are shown JSON-quoted, so whitespace and escapes are visible.
 */
export function reportInvalidTags(
  builder: PlanBuilder,
  tags: readonly string[] | undefined,
  subject: { assetId?: string; path?: string } = {},
): number {
  let count = 0;
  for (const tag of new Set(tags ?? [])) {
    const problem = tagProblem(tag);
    if (problem === undefined) continue;
    count++;
    builder.report(
      diagnostic(
        'INVALID_TAG',
        `Tag ${JSON.stringify(tag)} ${problem}: a tag is an identifier.`,
        subject,
        'Use a tag without control characters (surrounding spaces are trimmed; NFC and NFD spellings are one tag).',
      ),
    );
  }
  return count;
}
