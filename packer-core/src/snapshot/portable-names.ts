import type { Diagnostic } from '../contract/diagnostics.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { diagnostic, diagnosticAbout } from './diagnostic.js';
import { caseCollision } from './snapshot-findings.js';

// Only upper-case ASCII and non-ASCII characters fold: other paths are their own key (no new string).
const FOLDS = /[^\x00-\x40\x5b-\x7f]/;

/**
 * The key under which two paths are one file on a case-insensitive, normalisation-insensitive disk (macOS by
 * default, Windows for case): lower case, then Unicode NFC, so `Café.png` (NFC), `café.png` and `café.png` (NFD,
 * `e` + U+0301) share one key. A path that is ASCII without capitals is its own key, uncopied.
 */
export function collisionKey(path: string): string {
  return FOLDS.test(path) ? path.toLowerCase().normalize('NFC') : path;
}

/** One CASE_COLLISION per group of paths with one collision key, naming what they differ by. */
export function collision(list: readonly string[]): Diagnostic {
  const lower = list[0]!.toLowerCase();
  if (list.every((path) => path.toLowerCase() === lower)) return caseCollision(list);
  return Object.freeze(
    diagnosticAbout(
      'CASE_COLLISION',
      `${list.join(', ')} differ only by Unicode normalisation (NFC or NFD: the same letters, composed differently)${list.some((path) => path.normalize('NFC') !== path.normalize('NFC').toLowerCase()) ? ' or letter case' : ''}.`,
      list.map((path) => ({ path })),
      'Rename all but one of them: macOS reads them as one name, so a checkout there keeps only one file.',
    ),
  );
}

// Names Windows reserves for devices, with any extension (`CON.png`, `com1.tar.gz`).
const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i;
const FORBIDDEN = /[<>:"|?*]/;
// Every path one of the three rules below refuses matches this, tested once on the whole path: the common, portable
// path costs one regex scan instead of a split and three tests per segment (about 150 ms per from-scratch snapshot
// at 100k paths).
const MAYBE = /[<>:"|?*]|[ .](?:\/|$)|(?:^|\/)(?:con|prn|aux|nul|com[1-9]|lpt[1-9])(?:[./]|$)/i;

/** Why Windows cannot hold `path` (a `/`-separated project path), or undefined when it can. */
export function nonPortableReason(path: string): string | undefined {
  if (!MAYBE.test(path)) return undefined;
  for (const segment of path.split('/')) {
    if (RESERVED.test(segment))
      return `${segment} is a device name Windows reserves (${segment.split('.')[0]!.toUpperCase()})`;
    const forbidden = FORBIDDEN.exec(segment);
    if (forbidden) return `${segment} holds ${forbidden[0]}, which Windows does not allow in names`;
    if (segment.endsWith(' ') || segment.endsWith('.'))
      return `${JSON.stringify(segment)} ends in ${segment.endsWith(' ') ? 'a space' : 'a dot'}, which Windows drops`;
  }
  return undefined;
}

/**
 * The NON_PORTABLE_NAME warning for a registered or untracked path whose name Windows cannot hold, or undefined.
 * Costs one pass over the path; the snapshot asks it only for the paths a change touched.
 */
export function nonPortableFindings(
  path: string,
  claims: readonly RegistryEntry[] | undefined,
  untracked: boolean,
): readonly Diagnostic[] | undefined {
  if (!claims && !untracked) return undefined;
  const reason = nonPortableReason(path);
  if (reason === undefined) return undefined;
  const assetId = claims?.[0]?.id;
  return Object.freeze([
    Object.freeze(
      diagnostic(
        'NON_PORTABLE_NAME',
        `${path}: ${reason}; the project cannot be checked out on Windows.`,
        assetId === undefined ? { path } : { assetId, path },
        assetId === undefined
          ? 'Rename it before registering it if the project must work on Windows.'
          : `Rename it with \`packer mv ${path} <new name>\` (the id is kept) if the project must work on Windows.`,
      ),
    ),
  ]);
}
