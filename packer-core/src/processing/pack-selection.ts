import picomatch from 'picomatch';
import type { PackRule } from '../contract/config-schema.js';
import type { Diagnostic } from '../contract/diagnostics.js';
import type { AssetView } from '../contract/snapshot-schema.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import { normalizeTag } from '../contract/tag-name.js';

/** The registered assets one pack selects, and what its filters say about themselves. */
export interface PackSelection {
  selected: AssetView[];
  /** EMPTY_PACK (unless the pack allows it) and UNMATCHED_FILTER findings. */
  blockers: Diagnostic[];
  warnings: Diagnostic[];
}

/** Passes of `selectPackAssets` over a list of assets in this process: tests hold a plan's cost to what changed. */
export const selectionPasses = { passes: 0 };

/**
 * Applies a pack's filters (include, exclude, kinds, tags) to the registered assets. A selection that comes out
 * empty is an EMPTY_PACK blocker naming the filter that emptied it, unless the pack says `allowEmpty`: a typo in
 * a glob or tag must not ship an empty pack in place of a full one. An include glob or tag that matches no
 * registered asset while the pack still selects others is an UNMATCHED_FILTER warning (tags are free-form, so
 * only the registry can tell a typo).
 */
export function selectPackAssets(rule: PackRule, assets: readonly AssetView[]): PackSelection {
  selectionPasses.passes++;
  const globs = rule.include.map((glob) => ({ glob, test: picomatch(glob, { dot: true }), hits: 0 }));
  const excluded = rule.exclude.length > 0 ? picomatch(rule.exclude, { dot: true }) : () => false;
  // A selector spelled in NFD or with stray spaces names the tag the registry holds in its one form.
  const tags = rule.tags?.map(normalizeTag);
  const tagHits = new Map((tags ?? []).map((tag) => [tag, 0]));
  const counts = { included: 0, notExcluded: 0, ofKind: 0 };
  const selected: AssetView[] = [];
  for (const asset of assets) {
    for (const tag of asset.tags) if (tagHits.has(tag)) tagHits.set(tag, tagHits.get(tag)! + 1);
    let included = false;
    for (const glob of globs) {
      if (!glob.test(asset.path)) continue;
      glob.hits++;
      included = true;
    }
    if (!included) continue;
    counts.included++;
    if (excluded(asset.path)) continue;
    counts.notExcluded++;
    if (rule.kinds && !rule.kinds.includes(asset.kind)) continue;
    counts.ofKind++;
    if (tags && !tags.some((tag) => asset.tags.includes(tag))) continue;
    selected.push(asset);
  }
  const unmatchedGlobs = globs.filter((glob) => glob.hits === 0).map((glob) => glob.glob);
  const unmatchedTags = [...tagHits].filter(([, hits]) => hits === 0).map(([tag]) => tag);
  const subject = { path: 'packer.json' };
  const blockers: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  if (selected.length === 0) {
    // A project with nothing registered yet (fresh from `packer init`) has no asset a filter typo could drop:
    // `packer check` must not fail before the first `packer add`.
    if (!rule.allowEmpty && assets.length > 0) {
      blockers.push(
        diagnostic(
          'EMPTY_PACK',
          `Pack "${rule.name}" selects no assets: ${whyEmpty(rule, assets.length, counts, unmatchedTags)}. A build would replace the pack with an empty one.`,
          subject,
          `Fix the pack's filters in packer.json (a typo?), or set "allowEmpty": true on the pack if it may be empty.`,
        ),
      );
    }
    return { selected, blockers, warnings };
  }
  const unmatched = [
    ...unmatchedGlobs.map((glob) => `include "${glob}"`),
    ...unmatchedTags.map((tag) => `tag "${tag}"`),
  ];
  if (unmatched.length > 0) {
    warnings.push(
      diagnostic(
        'UNMATCHED_FILTER',
        `Pack "${rule.name}": ${unmatched.join(', ')} ${unmatched.length === 1 ? 'matches' : 'match'} no registered asset.`,
        subject,
        'Check the spelling in packer.json; remove the filter if nothing is meant to match it yet.',
      ),
    );
  }
  return { selected, blockers, warnings };
}

/** Names the filter at which the selection became empty, in the order they apply. */
function whyEmpty(
  rule: PackRule,
  total: number,
  counts: { included: number; notExcluded: number; ofKind: number },
  unmatchedTags: readonly string[],
): string {
  const quoted = (items: readonly string[]): string => items.map((item) => `"${item}"`).join(', ');
  if (total === 0) return 'no asset is registered';
  if (counts.included === 0)
    return `include ${quoted(rule.include)} ${rule.include.length === 1 ? 'matches' : 'match'} none of the ${total} registered assets`;
  if (counts.notExcluded === 0)
    return `exclude ${quoted(rule.exclude)} removes all ${counts.included} assets that include matches`;
  if (counts.ofKind === 0)
    return `none of the ${counts.notExcluded} assets it includes has kind ${quoted(rule.kinds ?? [])}`;
  const none =
    unmatchedTags.length === (rule.tags ?? []).length
      ? 'no registered asset carries'
      : `none of the ${counts.ofKind} assets it includes carries`;
  return `${none} tag ${quoted(rule.tags ?? [])}`;
}
