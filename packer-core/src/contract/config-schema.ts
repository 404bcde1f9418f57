import { z } from 'zod';

/** Types a kind may declare for its per-asset settings. */
export const SettingType = z.enum(['string', 'number', 'boolean']);
export type SettingType = z.infer<typeof SettingType>;

/** How files become assets of one kind. */
export const KindRule = z.strictObject({
  /** File extensions, lower-case with the dot (`.png`). */
  extensions: z.array(z.string().regex(/^\.[a-z0-9._-]+$/, 'an extension is lower-case and starts with a dot, e.g. ".png"')).min(1),
  /** Processor used by builds: a built-in (`copy`, `json`, `text`, `image`) or a tool name from `tools`. */
  processor: z.string().min(1).default('copy'),
  /** Settings an asset of this kind may carry, with their types. Unknown keys are invalid settings. */
  settings: z.record(z.string(), SettingType).default({}),
});
export type KindRule = z.infer<typeof KindRule>;

/** One pack: which registered assets go into it. */
export const PackRule = z.strictObject({
  /** File name stem of the pack in the build folder. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a pack name uses letters, digits, ".", "_" and "-"'),
  /** Path globs (project-relative) an asset must match; default: everything. */
  include: z.array(z.string().min(1)).default(['**']),
  /** Path globs that exclude assets. */
  exclude: z.array(z.string().min(1)).default([]),
  /** Only assets of these kinds, when given. */
  kinds: z.array(z.string().min(1)).optional(),
  /** Only assets carrying at least one of these tags, when given. */
  tags: z.array(z.string().min(1)).optional(),
});
export type PackRule = z.infer<typeof PackRule>;

/** An external tool a processor may run; nothing else is ever executed. */
export const ToolRule = z.strictObject({
  /** Executable name or absolute path; run without a shell. */
  command: z.string().min(1),
  /** Argument template; `{input}`, `{output}` and `{setting.NAME}` are substituted as whole arguments. */
  args: z.array(z.string()).default([]),
  /** Per-call timeout in milliseconds. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Cap on captured stdout+stderr bytes. */
  maxOutputBytes: z.number().int().positive().default(1_048_576),
  /** Bumped by hand when the tool's output changes, so cached outputs are rebuilt. */
  version: z.string().default('1'),
});
export type ToolRule = z.infer<typeof ToolRule>;

/** `packer.json`: the project's configuration. */
export const ProjectConfig = z.strictObject({
  /** Editor hint only. */
  $schema: z.string().optional(),
  /** Project name, shown in status and used in pack manifests. */
  name: z.string().min(1),
  /** Folders (project-relative) that hold assets. */
  assetRoots: z.array(z.string().min(1)).min(1).default(['assets']),
  /** Globs (project-relative) never scanned. */
  ignore: z.array(z.string().min(1)).default([]),
  /** Kind name → rule. A file whose extension no rule names gets kind `other`. */
  kinds: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'a kind name is lower-case letters, digits and "-"'), KindRule).default({}),
  /** Packs a build produces. */
  packs: z.array(PackRule).default([]),
  /** Allowed external tools (deny by default). */
  tools: z.record(z.string().min(1), ToolRule).default({}),
  /** Build output folder (project-relative). */
  buildDir: z.string().min(1).default('build'),
  /** Daemon options. */
  daemon: z
    .strictObject({
      /** Shut the daemon down after this many idle milliseconds (0 = never). */
      idleTimeoutMs: z.number().int().nonnegative().default(3 * 60 * 60 * 1000),
      /** Optional WebSocket listener for a browser-hosted Studio. */
      websocket: z
        .strictObject({
          enabled: z.boolean().default(false),
          port: z.number().int().min(0).max(65535).default(0),
          allowedOrigins: z.array(z.string()).default([]),
        })
        .prefault({}),
    })
    .prefault({}),
});
export type ProjectConfig = z.infer<typeof ProjectConfig>;
export type ProjectConfigInput = z.input<typeof ProjectConfig>;

/** Built-in processors every project may use. */
export const BUILTIN_PROCESSORS = ['copy', 'json', 'text', 'image'] as const;
export type BuiltinProcessor = (typeof BUILTIN_PROCESSORS)[number];

/** The kind of a file no kind rule claims. */
export const FALLBACK_KIND = 'other';
