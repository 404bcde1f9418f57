import { BUILTIN_PROCESSORS, FALLBACK_KIND, type ProjectConfig } from '../contract/config-schema.js';
import type { Diagnostic } from '../contract/diagnostics.js';
import type { PackerError } from '../contract/errors.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { assetRootOf } from '../paths/project-path.js';
import type { MissingRoot } from '../scan/missing-roots.js';
import type { FileStat } from '../scan/scanner.js';
import type { SidecarMove } from '../scan/sidecar-rules.js';
import { diagnostic, diagnosticAbout } from './diagnostic.js';
import type { OutsideMove } from './find-outside-moves.js';
import { settingsProblem } from './validate-settings.js';
import { quoteTag, tagProblem } from '../contract/tag-name.js';
import { DIAGNOSTICS_LISTED_PER_KIND } from '../contract/runtime-constants.js';

// The snapshot's findings, one function per problem, each about the subjects it is given (build-snapshot.ts
// decides which subjects to look at again). Every finding is frozen: snapshots share them.

/** Past this many untracked files, unsupported names or orphan sidecars, one more finding counts the rest. */
export const LIST_LIMIT = DIAGNOSTICS_LISTED_PER_KIND;

const UNSUPPORTED_HINT =
  'Rename it without backslashes or control characters, as valid UTF-8 (or add it to "ignore" in packer.json); until then the packer leaves it alone.';

export function invalidRegistry(error: PackerError): Diagnostic {
  return frozen(
    diagnostic(
      'INVALID_REGISTRY',
      error.message,
      { path: 'packer.registry.json' },
      String(
        error.data.hint ?? 'Fix or restore packer.registry.json; the packer will not write it until it validates.',
      ),
    ),
  );
}

export function configDiagnostics(config: ProjectConfig): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [kind, rule] of Object.entries(config.kinds)) {
    const builtin = (BUILTIN_PROCESSORS as readonly string[]).includes(rule.processor);
    if (!builtin && !(rule.processor in config.tools)) {
      out.push(
        frozen(
          diagnostic(
            'PROCESSOR_NOT_ALLOWED',
            `Kind "${kind}" uses processor "${rule.processor}", which is neither built in nor declared in "tools".`,
            { path: 'packer.json' },
            `Declare "${rule.processor}" under "tools" in packer.json, or use one of: ${BUILTIN_PROCESSORS.join(', ')}.`,
          ),
        ),
      );
    }
  }
  return out;
}

/** INVALID_PATH, UNKNOWN_KIND, INVALID_SETTINGS and INVALID_STORED_TAG of one entry. */
export function entryDiagnostics(entry: RegistryEntry, config: ProjectConfig): Diagnostic[] | undefined {
  const out: Diagnostic[] = [];
  const subject = { assetId: entry.id, path: entry.path };
  if (!assetRootOf(entry.path, config.assetRoots)) {
    out.push(
      diagnostic(
        'INVALID_PATH',
        `${entry.path} is outside every asset root (${config.assetRoots.join(', ')}).`,
        subject,
        'Move it into an asset root, or add its folder to "assetRoots".',
      ),
    );
  }
  const rule = config.kinds[entry.kind];
  if (!rule && entry.kind !== FALLBACK_KIND) {
    out.push(
      diagnostic(
        'UNKNOWN_KIND',
        `${entry.path} has kind "${entry.kind}", which packer.json does not define.`,
        subject,
        `Define "${entry.kind}" under "kinds", or change the asset's kind with \`packer set\`.`,
      ),
    );
  }
  const problem = settingsProblem(entry.settings, rule);
  if (problem)
    out.push(
      diagnostic(
        'INVALID_SETTINGS',
        `${entry.path}: ${problem}.`,
        subject,
        'Fix it with `packer set <asset> key=value`, or declare the setting for its kind.',
      ),
    );
  // A tag a new write would refuse (INVALID_TAG), held since an older packer or a hand edit: a warning, not a
  // reason to refuse the registry; it stays as stored until the user removes it.
  for (const tag of entry.tags) {
    const tagIssue = tagProblem(tag);
    if (tagIssue)
      out.push(
        diagnostic(
          'INVALID_STORED_TAG',
          `${entry.path} has the tag ${quoteTag(tag)} (shown escaped), which ${tagIssue}: tags are identifiers, and a new one like it is refused.`,
          subject,
          `Remove it with \`packer set ${entry.id} --untag ${shellQuotedTag(tag)}\`, and tag the asset with a name without control characters if it needs one.`,
        ),
      );
  }
  return out.length > 0 ? out.map(frozen) : undefined;
}

export function unsupportedName(path: string, unsupported: NonNullable<FileStat['unsupported']>): Diagnostic {
  const what = unsupported.folder ? 'folder' : 'file';
  const below = unsupported.folder ? ' Nothing under it is seen.' : '';
  return frozen(
    diagnostic(
      'UNSUPPORTED_FILE_NAME',
      `The ${what} ${path} (shown escaped) has a name holding ${unsupported.reason}, which the registry cannot hold; it cannot be registered.${below}`,
      { path },
      UNSUPPORTED_HINT,
    ),
  );
}

export function moreUnsupported(more: number): Diagnostic {
  return frozen(
    diagnostic(
      'UNSUPPORTED_FILE_NAME',
      `${more} more files have names the registry cannot hold.`,
      {},
      UNSUPPORTED_HINT,
    ),
  );
}

export function registeredSidecar(path: string, owner: string, assetId: string): Diagnostic {
  return frozen(
    diagnostic(
      'SIDECAR_REGISTERED',
      `${path} is registered as an asset, but it is a sidecar of ${owner} (packer.json "sidecars").`,
      { assetId, path },
      `Unregister it and keep the file (\`packer rm ${assetId}\`): it then follows ${owner} as a sidecar. Until then it moves with ${owner} and stays registered.`,
    ),
  );
}

export function missingOrMoved(entry: RegistryEntry, move: OutsideMove | undefined): Diagnostic {
  if (move) {
    const what = move.similarity
      ? `a renamed and edited copy of its content (${move.similarity.reason}) seems to be`
      : 'its content now sits';
    return frozen(
      diagnostic(
        'MOVED_OUTSIDE',
        `${entry.path} is missing; ${what} at ${move.to}.`,
        { assetId: entry.id, path: entry.path },
        'Run `packer reconcile` to relink the asset to its new path and keep its id.',
      ),
    );
  }
  return frozen(
    diagnostic(
      'MISSING_FILE',
      `${entry.path} is registered but not on disk.`,
      { assetId: entry.id, path: entry.path },
      'Restore the file, or run `packer reconcile` to drop the asset.',
    ),
  );
}

/** SIDECAR_LEFT_BEHIND: a sidecar an outside move left at the old path. */
export function leftBehind(entry: RegistryEntry, to: string, left: SidecarMove): Diagnostic {
  return frozen(
    diagnostic(
      'SIDECAR_LEFT_BEHIND',
      `${entry.path} was moved to ${to} outside the packer, but its sidecar ${left.from} stayed behind (it belongs at ${left.to}).`,
      { assetId: entry.id, path: left.from },
      `Run \`packer reconcile\`: relinking the asset moves ${left.from} to ${left.to} in the same commit.`,
    ),
  );
}

/** ORPHAN_SIDECAR: a sidecar whose owner is gone (about the owner's asset when it is registered). */
export function orphanSidecar(path: string, owner: string, asset: RegistryEntry | undefined): Diagnostic {
  return frozen(
    diagnostic(
      'ORPHAN_SIDECAR',
      `${path} is a sidecar of ${owner}, which is not on disk; it is not an asset.`,
      asset ? { assetId: asset.id, path } : { path },
      asset
        ? `Restore ${owner}, or remove the asset with its sidecars (\`packer rm ${asset.id} --delete-file\`).`
        : `Delete ${path} if nothing needs it any more, or restore ${owner}.`,
    ),
  );
}

export function moreOrphans(more: number): Diagnostic {
  return frozen(
    diagnostic(
      'ORPHAN_SIDECAR',
      `${more} more sidecars have no asset or folder on disk.`,
      {},
      'Delete them if nothing needs them any more.',
    ),
  );
}

export function untrackedFile(path: string): Diagnostic {
  return frozen(
    diagnostic(
      'UNTRACKED_FILE',
      `${path} is not registered.`,
      { path },
      'Run `packer add` or `packer reconcile` to register it.',
    ),
  );
}

export function moreUntracked(more: number): Diagnostic {
  return frozen(
    diagnostic(
      'UNTRACKED_FILE',
      `${more} more files are not registered.`,
      {},
      'Run `packer ls --status untracked` to list them.',
    ),
  );
}

/** One DUPLICATE_PATH per path, naming every entry that claims it. */
export function duplicatePath(path: string, list: readonly RegistryEntry[]): Diagnostic {
  return frozen(
    diagnosticAbout(
      'DUPLICATE_PATH',
      `${path} is claimed by ${list.length} registry entries (${list.map((e) => e.id).join(', ')}).`,
      list.map((entry) => ({ assetId: entry.id, path })),
      'Remove all but one of them with `packer rm <id>`.',
    ),
  );
}

/** One CASE_COLLISION per group of paths equal but for case, listing them all. */
export function caseCollision(list: readonly string[]): Diagnostic {
  return frozen(
    diagnosticAbout(
      'CASE_COLLISION',
      `${list.join(', ')} differ only by letter case.`,
      list.map((path) => ({ path })),
      'Rename all but one of them: the project would break on case-insensitive filesystems (macOS, Windows).',
    ),
  );
}

export function assetRootMissing(missing: MissingRoot): Diagnostic {
  const { root } = missing;
  return frozen(
    diagnostic(
      'ASSET_ROOT_MISSING',
      missing.reason === 'missing'
        ? `Asset root "${root}" (packer.json "assetRoots") does not exist: nothing under it is seen.`
        : `Asset root "${root}" (packer.json "assetRoots") is not a folder: nothing under it is seen.`,
      { path: root },
      `Create the folder ${root}/, or fix or remove "${root}" in "assetRoots" in packer.json (a typo?).`,
    ),
  );
}

export function pathOutside(path: string): Diagnostic {
  return frozen(
    diagnostic(
      'PATH_OUTSIDE_PROJECT',
      `${path} is a symlink that points outside the project.`,
      { path },
      'Replace the link with the file itself, or move the target into the project.',
    ),
  );
}

/** A tag as a bash or zsh argument (`$'a\tb'`), so the hint's command removes exactly the stored tag. */
function shellQuotedTag(tag: string): string {
  // An empty tag was stored as blanks: any blank argument normalises to it.
  if (tag === '') return "' '";
  const body = tag.replace(/[\\'\u0000-\u001f\u007f-\u009f]/gu, (char) => {
    if (char === '\\' || char === "'") return `\\${char}`;
    const code = char.codePointAt(0)!;
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `$'${body}'`;
}

function frozen(item: Diagnostic): Diagnostic {
  if (item.subjects) for (const subject of item.subjects) Object.freeze(subject);
  if (item.subjects) Object.freeze(item.subjects);
  return Object.freeze(item);
}
