import { z } from 'zod';

/** How much a diagnostic matters: blockers stop the plan or build they apply to. */
export const Severity = z.enum(['blocker', 'warning', 'info']);
export type Severity = z.infer<typeof Severity>;

/** Every diagnostic code the packer emits, with its severity. Codes are stable; scripts may match on them. */
export const DiagnosticCodes = {
  /** A registered asset's file is not on disk. */
  MISSING_FILE: 'blocker',
  /** A file under an asset root is not registered. */
  UNTRACKED_FILE: 'info',
  /** A missing asset's content was found at another path (likely an outside move). */
  MOVED_OUTSIDE: 'blocker',
  /** Two registry entries claim one path. */
  DUPLICATE_PATH: 'blocker',
  /** Two registry entries share one id. */
  DUPLICATE_ID: 'blocker',
  /** Two paths differ only by letter case: not portable to case-insensitive filesystems. */
  CASE_COLLISION: 'warning',
  /** A path resolves outside the project, or a symlink escapes it. */
  PATH_OUTSIDE_PROJECT: 'blocker',
  /** A path is malformed or outside every asset root. */
  INVALID_PATH: 'blocker',
  /** An asset's settings do not match its kind's declared settings. */
  INVALID_SETTINGS: 'blocker',
  /** An asset names a kind `packer.json` does not define. */
  UNKNOWN_KIND: 'blocker',
  /** The registry file fails to parse or validate; the packer is read-only until it is fixed. */
  INVALID_REGISTRY: 'blocker',
  /** `packer.json` fails to parse or validate. */
  INVALID_CONFIG: 'blocker',
  /** The target of a move or register already exists or is registered. */
  TARGET_EXISTS: 'blocker',
  /** A path or id names no asset. */
  NOT_FOUND: 'blocker',
  /** A path is already registered. */
  ALREADY_REGISTERED: 'blocker',
  /** A reconcile candidate matches more than one file or asset; the user must choose. */
  AMBIGUOUS_MATCH: 'blocker',
  /** A crash-recovery step could not be undone or redone; a person must look. */
  RECOVERY_INCOMPLETE: 'blocker',
  /** A mutation changes nothing. */
  NO_CHANGE: 'info',
  /** Two assets of one pack produce one output name. */
  DUPLICATE_OUTPUT: 'blocker',
  /** A kind's processor is neither built in nor an allowed tool. */
  PROCESSOR_NOT_ALLOWED: 'blocker',
  /** A processor failed on an asset during a build. */
  PROCESSOR_FAILED: 'blocker',
  /** A pack selects no assets (a filter typo would otherwise ship an empty pack); allowed only with the pack's
   * `"allowEmpty": true`. */
  EMPTY_PACK: 'blocker',
  /** A source file changed between the build's snapshot and the moment the build read it. */
  CHANGED_DURING_BUILD: 'blocker',
  /** A registered file exists but cannot be read (permissions, I/O error). */
  UNREADABLE_FILE: 'blocker',
  /** A declared tool's argument template cannot work or is unsafe (an unknown placeholder, or one embedded in other
   * text). */
  INVALID_TOOL: 'blocker',
  /** A file name the registry cannot hold (backslash, control character, not valid UTF-8); the file is left alone. */
  UNSUPPORTED_FILE_NAME: 'warning',
  /** A move or register target resolves through a symlink inside the project. */
  SYMLINK_IN_PATH: 'blocker',
  /** The crash journal in `.packer/` is invalid and was not executed; the project is read-only until a person removes
   * or fixes it. */
  INVALID_JOURNAL: 'blocker',
  /** A pack does not match its manifest (torn by a crash, edited, or unreadable); the next build rewrites it. */
  PACK_UNVERIFIED: 'warning',
  /** A tool says `"sandbox": "required"` and this machine has no working bubblewrap: builds using it are blocked. */
  SANDBOX_UNAVAILABLE: 'blocker',
  /** `packer.registry.json` has no owner write bit (e.g. 0444): a plan that would change it cannot be applied until it
   * is made writable. */
  REGISTRY_READ_ONLY: 'blocker',
  /** A reconcile proposes relinking a missing asset to a file whose content changed: the message gives the score and
   * why. */
  SIMILAR_CONTENT: 'info',
  /** A reconcile leaves an ambiguous match alone (the assets and files it involves); the rest of the plan proceeds. */
  AMBIGUOUS_SKIPPED: 'warning',
  /** `packer relink` names an asset whose file is still on disk (use `packer mv` to move it). */
  ASSET_PRESENT: 'blocker',
  /** A move's destination is an existing folder, so (as `mv` does) the file or folder goes into it, keeping its
   * name. */
  MOVE_INTO_FOLDER: 'info',
  /** A file fits a `sidecars` template (`x.png.import`) but neither its asset's file nor its folder is on disk; it is
   * not an asset. */
  ORPHAN_SIDECAR: 'warning',
  /** An asset moved outside the packer left its sidecar at the old path (the engine's link breaks); reconcile moves it
   * along. */
  SIDECAR_LEFT_BEHIND: 'warning',
  /** A sidecar was named to register: it follows its asset (moved and removed with it) and is never an asset itself. */
  SIDECAR_NOT_ASSET: 'blocker',
  /** A registered asset's file is a sidecar of another file (registered before the `sidecars` rule); it still moves
   * with its owner. */
  SIDECAR_REGISTERED: 'warning',
  /** A pack's include glob or tag matches no registered asset (a typo?), though the pack selects others. */
  UNMATCHED_FILTER: 'warning',
  /** The remote cache could not be used for part of a build (unreachable, an error status, a download failing its
   * sha256 or shape check): those outputs were built locally; the build goes on. */
  REMOTE_CACHE: 'warning',
  /** A registered or untracked path Windows cannot hold: a reserved device name (`CON`, `NUL`, `COM1`…, any
   * extension), a name ending in a space or a dot, or one of `<>:"|?*`. */
  NON_PORTABLE_NAME: 'warning',
  /** An apply committed (registry and files changed) but a later step failed (refreshing the snapshot, writing the
   * audit record) or the daemon stopped before reporting it (recovery finished it at the next start): it is reported
   * completed with this warning, and must not be applied again. */
  AFTER_COMMIT_FAILED: 'warning',
  /** An `assetRoots` folder of packer.json does not exist (a typo?) or is not a folder: nothing under it is seen. */
  ASSET_ROOT_MISSING: 'warning',
  /** A tag given to `add` or `set` is empty once trimmed or holds a control character (tags: NFC, trimmed). */
  INVALID_TAG: 'blocker',
  /** A folder add leaves out a symlink under the folder that points outside the project (each is named); the other
   * files are registered. Naming the link itself is a PATH_OUTSIDE_PROJECT blocker. */
  OUTSIDE_LINK_SKIPPED: 'warning',
  /** A tag in the registry (written by an older packer or by hand) that INVALID_TAG refuses now (a control character,
   * or empty once trimmed): shown escaped, kept as it is; `packer set <asset> --untag` removes it. */
  INVALID_STORED_TAG: 'warning',
} as const satisfies Record<string, Severity>;

export type DiagnosticCode = keyof typeof DiagnosticCodes;
const diagnosticCodeKeys = Object.keys(DiagnosticCodes) as [DiagnosticCode, ...DiagnosticCode[]];
export const DiagnosticCode = z.enum(diagnosticCodeKeys);

/** One asset or path a diagnostic involves. */
export const DiagnosticSubject = z.object({
  /** The asset, when the subject is a registered one. */
  assetId: z.string().optional(),
  /** Project-relative path. */
  path: z.string().optional(),
});
export type DiagnosticSubject = z.infer<typeof DiagnosticSubject>;

/** One finding about the workspace, a plan or a build: one diagnostic per problem, however many assets it involves. */
export const Diagnostic = z.object({
  /** Stable code from `DiagnosticCodes`. */
  code: DiagnosticCode,
  severity: Severity,
  /** Asset the finding is about, when there is one (for a finding with several subjects: the first one's). */
  assetId: z.string().optional(),
  /** Project-relative path the finding is about, when there is one (for several subjects: the first one's). */
  path: z.string().optional(),
  /**
   * Every asset or path the finding involves, when there is more than one (two entries claiming one path, two
   * assets with one output name, paths equal but for case); the first is `assetId`/`path`. Absent for one subject.
   */
  subjects: z.array(DiagnosticSubject).optional(),
  /** One sentence for people. */
  message: z.string(),
  /** What to do about it. */
  hint: z.string().optional(),
});
export type Diagnostic = z.infer<typeof Diagnostic>;
