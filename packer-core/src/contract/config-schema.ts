import { z } from 'zod';
import { isLoopbackHost } from './loopback-host.js';

/**
 * A folder inside the project, written the way the registry writes paths: `/`-separated, relative, with no
 * empty, `.` or `..` segments. Anything else could point the scanner (or a build) outside the project.
 */
export const ProjectFolder = z
  .string()
  .min(1)
  .refine(
    (value) =>
      !/[\\\0]/.test(value) &&
      !/^[A-Za-z]:/.test(value) &&
      value.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..'),
    'a folder inside the project, relative to it, like "assets" or "art/sprites" (no "..", no leading or trailing "/")',
  );

/**
 * An asset root: a project folder, or `.` for the project root itself (a Godot project keeps its assets beside
 * `project.godot`). Under `.`, the packer's own files (packer.json, the registry, `.packer/`, the build folder,
 * `.git/`) are never assets.
 */
export const AssetRoot = z.union([z.literal('.'), ProjectFolder]);

/**
 * A sidecar template: where an engine keeps a file that belongs to an asset, with `{path}` standing for the
 * asset's project-relative path (`"{path}.import"`, `"{path}.meta"`).
 */
export const SidecarTemplate = z
  .string()
  .refine(
    (value) => value.includes('{path}'),
    'a sidecar template contains "{path}", e.g. "{path}.import" or "{path}.meta"',
  )
  .refine((value) => value !== '{path}', 'a sidecar template names another file than the asset, e.g. "{path}.meta"');

/** Types a kind may declare for its per-asset settings. */
export const SettingType = z.enum(['string', 'number', 'boolean']);
export type SettingType = z.infer<typeof SettingType>;

/** How files become assets of one kind. */
export const KindRule = z.strictObject({
  /** File extensions, lower-case with the dot (`.png`). */
  extensions: z
    .array(z.string().regex(/^\.[a-z0-9._-]+$/, 'an extension is lower-case and starts with a dot, e.g. ".png"'))
    .min(1),
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
  /** Only assets of these kinds, when given. Each must be a kind under `kinds` (or `other`): a typo is
   * INVALID_CONFIG. */
  kinds: z.array(z.string().min(1)).optional(),
  /**
   * Only assets carrying at least one of these tags, when given. Tags are free-form, so a tag no registered asset
   * carries is not a config error: the build plan (and `packer check`) warns with UNMATCHED_FILTER, or blocks with
   * EMPTY_PACK when the pack then selects nothing. Tags compare as everywhere in the packer: in Unicode NFC, with
   * surrounding spaces trimmed (`café` typed either way is one tag).
   */
  tags: z.array(z.string().min(1)).optional(),
  /**
   * Let this pack select no asset. Without it an empty selection is an EMPTY_PACK blocker (a filter typo would
   * otherwise replace a full pack with an empty one); with it, the build writes the empty pack.
   */
  allowEmpty: z.boolean().default(false),
});
export type PackRule = z.infer<typeof PackRule>;

/** An external tool a processor may run; nothing else is ever executed. */
export const ToolRule = z.strictObject({
  /** Executable name or absolute path; run without a shell. */
  command: z.string().min(1),
  /**
   * Argument template. `{input}`, `{output}` and `{setting.NAME}` are placeholders that must each be a whole
   * argument (`["-o", "{output}"]`, never `"--out={output}"` or `"cp {input} {output}"`): a template that
   * embeds one in other text is blocked as INVALID_TOOL, since a shell or option parser would re-read it.
   */
  args: z.array(z.string()).default([]),
  /**
   * Settings this template passes where the tool expects an option, whose values may therefore start with
   * `-` (e.g. `"-o7"`). Any other setting value starting with `-` is refused: the tool would read it as an option.
   */
  optionSettings: z.array(z.string().min(1)).default([]),
  /**
   * Where the tool runs. `auto` (default): inside bubblewrap (`bwrap`: no network, the input read-only, one
   * writable output folder, no view of other processes or the rest of the disk) when the machine has it,
   * else with only a scrubbed environment, and `daemon.health` warns. `required`: builds using the tool are
   * blocked when bubblewrap is missing. `off`: never sandboxed.
   */
  sandbox: z.enum(['auto', 'required', 'off']).default('auto'),
  /**
   * Extra absolute paths the sandboxed tool may read (its data or config, e.g. `/etc/ImageMagick-6` or an
   * install under `/opt`), bound read-only when they exist. `/usr`, `/bin`, `/lib*`, a few `/etc` files,
   * the tool's binary and the input are always there.
   */
  readPaths: z
    .array(
      z
        .string()
        .refine(
          (value) => value.startsWith('/') && !value.includes('\0') && !value.split('/').includes('..'),
          'an absolute path without ".." segments, e.g. "/opt/mytool"',
        ),
    )
    .default([]),
  /** Per-call timeout in milliseconds. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Cap on captured stdout+stderr bytes. */
  maxOutputBytes: z.number().int().positive().default(1_048_576),
  /** Bumped by hand when the tool's output changes, so cached outputs are rebuilt. */
  version: z.string().default('1'),
});
export type ToolRule = z.infer<typeof ToolRule>;

/** `packer.json`: the project's configuration. */
export const ProjectConfig = z
  .strictObject({
    /** Editor hint only. */
    $schema: z.string().optional(),
    /** Project name, shown in status and used in pack manifests. */
    name: z.string().min(1),
    /** Folders (project-relative) that hold assets; `.` is the project root. */
    assetRoots: z.array(AssetRoot).min(1).default(['assets']),
    /** Globs (project-relative) never scanned. */
    ignore: z.array(z.string().min(1)).default([]),
    /**
     * Also skip what git ignores: `.gitignore` files (the project's, nested ones, and those above it up to the
     * repository root) and `.git/info/exclude`, on top of `ignore`. `packer init` writes `true`; the default is
     * `false` so an existing project's registered files never start reading as missing after an upgrade.
     */
    gitignore: z.boolean().default(false),
    /**
     * File names that exclude the folder holding them, and everything under it, from the scan: Godot does not import
     * a folder holding `.gdignore`, so the Godot profile writes `[".gdignore"]`. A plain name (no `/`), matched in
     * every folder under the asset roots.
     */
    ignoreFoldersWith: z
      .array(
        z
          .string()
          .regex(/^[^/\\\0]+$/, 'a file name without "/", e.g. ".gdignore"')
          .refine((name) => name !== '.' && name !== '..', 'a file name, not "." or ".."'),
      )
      .default([]),
    /**
     * Files that belong to an asset and are not assets themselves (an engine's import settings or ids), as
     * templates of the asset's path: Godot `["{path}.import", "{path}.uid"]`, Unity `["{path}.meta"]`.
     */
    sidecars: z.array(SidecarTemplate).optional(),
    /** Kind name → rule. A file whose extension no rule names gets kind `other`. */
    kinds: z
      .record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'a kind name is lower-case letters, digits and "-"'), KindRule)
      .default({}),
    /** Packs a build produces. */
    packs: z.array(PackRule).default([]),
    /** Allowed external tools (deny by default). */
    tools: z.record(z.string().min(1), ToolRule).default({}),
    /** Build output folder (project-relative). */
    buildDir: ProjectFolder.default('build'),
    /**
     * A shared cache of processed outputs on the Bazel HTTP remote cache protocol (`/ac/` + `/cas/`), served by
     * nginx with WebDAV, bazel-remote or BuildBuddy: see docs/remote-cache.md. A local cache miss asks it; every
     * download is verified (sha256) before use, and an outage never fails a build. Off when absent.
     */
    remoteCache: z
      .strictObject({
        /**
         * Base URL of the cache, `http://` or `https://`; requests go to `<url>/ac/<sha256>` and `<url>/cas/<sha256>`.
         * Basic-auth credentials in it (`https://user:pass@host/cache`) are sent and never logged. `PACKER_REMOTE_CACHE`
         * sets it from the environment (`off` turns the remote cache off).
         */
        url: z
          .string()
          .refine(
            isHttpUrl,
            'an http:// or https:// URL without a query or fragment, e.g. "http://cache.internal:8080/packer"',
          ),
        /**
         * `read-write`: download hits and upload what this machine processed (blobs first, the action result last, only
         * for successful outputs); `read-only`: download only (a CI consumer or a laptop). `PACKER_REMOTE_CACHE_MODE`
         * overrides it.
         */
        mode: z.enum(['read-write', 'read-only']).default('read-write'),
        /** Timeout of one request in milliseconds (connect, then each wait for data): past it the request counts as a
         * connection error. */
        timeoutMs: z.number().int().positive().default(10_000),
        /**
         * Extra request headers, e.g. `{"Authorization": "Bearer …"}`. Values are sent and never logged; keep secrets
         * out of this committed file with `PACKER_REMOTE_CACHE_HEADER="Name: value"` (one per line) or
         * `PACKER_REMOTE_CACHE_TOKEN` (sent as `Authorization: Bearer <token>`).
         */
        headers: z
          .record(
            z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'a header name (letters, digits and -)'),
            z.string().refine((value) => !/[\r\n\0]/.test(value), 'a header value on one line'),
          )
          .default({}),
      })
      .optional(),
    /** How the registry is stored. */
    registry: z
      .strictObject({
        /**
         * `1` (default): one file, `packer.registry.json`. `16`, `256` or `4096`: the folder `packer.registry/` with
         * one file per shard (`0.json`…`f.json`, `00.json`…`ff.json`, `000.json`…`fff.json`), an asset's shard being
         * the first digits of sha256 of its parent folder, so a one-asset change rewrites one small file. Each shard is
         * a complete format 2 registry. Changing it moves every entry on the next write, announced in that plan.
         * `packer init` picks 256 when it finds 10,000 files or more.
         */
        shards: z.union([z.literal(1), z.literal(16), z.literal(256), z.literal(4096)]).default(1),
      })
      .prefault({}),
    /** Daemon options. */
    daemon: z
      .strictObject({
        /** Shut the daemon down after this many idle milliseconds (0 = never). */
        idleTimeoutMs: z
          .number()
          .int()
          .nonnegative()
          .default(3 * 60 * 60 * 1000),
        /** Optional WebSocket listener for a browser-hosted Studio (also `packer daemon start --ws` or
         * `PACKER_WS=1`). */
        websocket: z
          .strictObject({
            /** Listen on the WebSocket. Off by default. */
            enabled: z.boolean().default(false),
            /** Loopback address to bind. Anything else is refused: the token would travel over the network. `[::1]` is
             * read as `::1`. */
            host: z
              .string()
              .overwrite((host) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host))
              .refine(
                isLoopbackHost,
                'a loopback address: "127.0.0.1", "::1" or "localhost" (the listener is never reachable from the network)',
              )
              .default('127.0.0.1'),
            /** TCP port; 0 picks a free one. The port in use is written to `.packer/ws.json`. */
            port: z.number().int().min(0).max(65535).default(0),
            /** Browser origins allowed besides loopback http(s) origins, e.g. "https://studio.example.com". */
            allowedOrigins: z.array(z.string()).default([]),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .superRefine((config, context) => {
    // A pack filter naming a kind nobody defines selects nothing, silently: refuse it as the typo it is.
    const known = [...Object.keys(config.kinds), FALLBACK_KIND];
    config.packs.forEach((pack, packIndex) =>
      pack.kinds?.forEach((kind, kindIndex) => {
        if (known.includes(kind)) return;
        context.addIssue({
          code: 'custom',
          path: ['packs', packIndex, 'kinds', kindIndex],
          message: `names kind "${kind}", which "kinds" does not define (known: ${known.join(', ')})`,
        });
      }),
    );
  });
export type ProjectConfig = z.infer<typeof ProjectConfig>;
export type ProjectConfigInput = z.input<typeof ProjectConfig>;

/** True for an absolute http(s) URL without query or fragment (the cache paths are appended to it). */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.search === '' &&
      url.hash === '' &&
      !value.includes('?') &&
      !value.includes('#')
    );
  } catch {
    return false;
  }
}

export { isLoopbackHost };

/** Built-in processors every project may use. */
export const BUILTIN_PROCESSORS = ['copy', 'json', 'text', 'image'] as const;
export type BuiltinProcessor = (typeof BUILTIN_PROCESSORS)[number];

/** The kind of a file no kind rule claims. */
export const FALLBACK_KIND = 'other';
