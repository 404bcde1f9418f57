import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PackerError } from '../contract/errors.js';
import type { ProjectConfigInput } from '../contract/config-schema.js';
import { configJsonSchema, CONFIG_SCHEMA_REF } from '../contract/config-docs.js';
import { CONFIG_FILE, validateConfig } from '../config/load-config.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { serializeRegistry } from '../registry/registry-codec.js';
import { REGISTRY_FILE, REGISTRY_FOLDER } from '../registry/registry-store.js';
import { COOKIE_PREFIX } from '../scan/scanner.js';
import { detectEngine, engineProfile, ENGINES, type Engine, type EngineProfile } from './engine-profiles.js';

export { ENGINES, type Engine };

/** What `packer init` may be told; everything else it decides from the folder. */
export interface InitOptions {
  /** Project name (default: the folder name). */
  name?: string;
  /** The engine to adopt for, instead of the one detected from marker files. */
  engine?: Engine;
  /** Asset roots instead of the engine's (`.` is the project root). */
  roots?: string[];
  /** Kind name → extensions, over the engine's kinds (an empty list drops the kind). */
  kinds?: Record<string, string[]>;
  /** Create the project even inside another one (a packer.json in a parent folder). */
  nested?: boolean;
}

/** What `packer init` did and decided (its `--json` output). */
export interface InitResult {
  root: string;
  /** Files and folders created or changed, project-relative. */
  created: string[];
  engine: Engine;
  /** Why this engine: the marker files found, or `--engine`. */
  detectedBy: string;
  assetRoots: string[];
  /** Kind name → extensions written. */
  kinds: Record<string, string[]>;
  ignore: string[];
  sidecars: string[];
  /** True: the project honours .gitignore files. */
  gitignore: boolean;
  buildDir: string;
  /** Lines added to .gitignore (empty when it already ignored them). */
  gitignored: string[];
  /** The `$schema` packer.json names, for editor completion. */
  schema: string;
  /** `registry.shards` written: 256 when the asset roots already hold `SHARDED_FROM` files or more, else 1. */
  registryShards: 1 | 256;
}

/** From this many files under the asset roots, `packer init` writes a sharded registry (`registry.shards` 256). */
export const SHARDED_FROM = 10_000;

/** The starting config for an empty generic project: common game asset kinds, one pack of everything. */
export function defaultConfig(name: string): ProjectConfigInput {
  return configFor(name, engineProfile('', 'generic', 'default'));
}

/** What `packer init` writes for each engine, for an empty folder (the examples of docs/config.md). */
export function engineExampleConfigs(): Record<Engine, ProjectConfigInput> {
  const name = (engine: Engine): string => `my-${engine}-game`;
  return Object.fromEntries(
    ENGINES.map((engine) => [engine, configFor(name(engine), engineProfile('', engine, 'example'))]),
  ) as Record<Engine, ProjectConfigInput>;
}

/**
 * Creates a project that adopts the folder it is run in: detects the engine (Godot, Unity, generic), writes
 * `packer.json` with the engine's asset roots, generated folders ignored, kinds and sidecar rules, an empty
 * registry, and git-ignores `.packer/` and the build folder. Refuses to overwrite a project, and to create one
 * inside another unless `nested` says so.
 */
export function initProject(dir: string, options: InitOptions = {}): InitResult {
  const root = path.resolve(dir);
  const configFile = path.join(root, CONFIG_FILE);
  const registryFile = path.join(root, REGISTRY_FILE);
  for (const file of [configFile, registryFile, path.join(root, REGISTRY_FOLDER)]) {
    if (existsSync(file)) {
      throw new PackerError('INVALID_CONFIG', `${file} already exists; packer init never overwrites a project.`, {
        file,
        hint: 'Use the existing project, or remove the file first.',
      });
    }
  }
  const outer = enclosingProject(root);
  if (outer && !options.nested) {
    throw new PackerError(
      'INVALID_CONFIG',
      `${root} is inside the packer project ${path.dirname(outer)} (${outer}); packer init does not nest projects unless asked.`,
      {
        file: outer,
        hint: `Use that project (packer -C ${path.dirname(outer)} …), or pass --nested to create a separate project inside it.`,
      },
    );
  }
  const detected = options.engine ? { engine: options.engine, detectedBy: '--engine' } : detectEngine(root);
  const profile = withOverrides(engineProfile(root, detected.engine, detected.detectedBy), options);
  // A big tree gets the sharded registry from the start: a one-asset change then rewrites one small file.
  const registryShards = countFiles(root, profile, SHARDED_FROM) >= SHARDED_FROM ? 256 : 1;
  const config = {
    ...configFor(options.name ?? path.basename(root), profile),
    ...(registryShards === 1 ? {} : { registry: { shards: registryShards } }),
  };
  validateConfig(config, configFile);

  mkdirSync(root, { recursive: true });
  const created: string[] = [];
  writeFileAtomic(configFile, JSON.stringify(config, null, 2) + '\n');
  created.push(CONFIG_FILE);
  if (registryShards === 1) {
    writeFileAtomic(registryFile, serializeRegistry([]));
    created.push(REGISTRY_FILE);
  } else {
    // An empty sharded registry is an empty folder: shards appear as assets are added.
    mkdirSync(path.join(root, REGISTRY_FOLDER), { recursive: true });
    created.push(`${REGISTRY_FOLDER}/`);
  }
  writeFileAtomic(path.join(root, CONFIG_SCHEMA_REF), JSON.stringify(configJsonSchema(), null, 2) + '\n');
  created.push(CONFIG_SCHEMA_REF.replace(/^\.\//, ''));
  for (const assetRoot of profile.assetRoots) {
    if (assetRoot !== '.' && !existsSync(path.join(root, assetRoot))) {
      mkdirSync(path.join(root, assetRoot), { recursive: true });
      created.push(`${assetRoot}/`);
    }
  }
  // The daemon's read-your-writes cookies live for milliseconds in the asset folders (longer, after a crash, until the
  // next daemon starts): keep them out of git.
  const gitignored = gitIgnore(root, ['.packer/', `/${profile.buildDir}/`, `${COOKIE_PREFIX}*`]);
  if (gitignored.length > 0) created.push('.gitignore');
  return {
    root,
    created,
    engine: profile.engine,
    detectedBy: profile.detectedBy,
    assetRoots: profile.assetRoots,
    kinds: Object.fromEntries(Object.entries(profile.kinds).map(([kind, rule]) => [kind, rule.extensions])),
    ignore: profile.ignore,
    sidecars: profile.sidecars ?? [],
    gitignore: true,
    buildDir: profile.buildDir,
    gitignored,
    schema: CONFIG_SCHEMA_REF,
    registryShards,
  };
}

/**
 * Files under the profile's asset roots, counted up to `cap` (a bounded walk: init stays quick on any tree). Dot
 * entries, the build folder and node_modules are skipped, as the scan would mostly skip them.
 */
function countFiles(root: string, profile: EngineProfile, cap: number): number {
  let count = 0;
  const skip = new Set([profile.buildDir, 'node_modules']);
  const walk = (folder: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (count >= cap) return;
      if (entry.name.startsWith('.') || skip.has(entry.name)) continue;
      if (entry.isFile()) count++;
      else if (entry.isDirectory() && depth < 64) walk(path.join(folder, entry.name), depth + 1);
    }
  };
  for (const assetRoot of profile.assetRoots) walk(path.join(root, assetRoot), 0);
  return count;
}

function configFor(name: string, profile: EngineProfile): ProjectConfigInput {
  const include = profile.assetRoots.map((root) => (root === '.' ? '**' : `${root}/**`));
  return {
    $schema: CONFIG_SCHEMA_REF,
    name,
    assetRoots: profile.assetRoots,
    ignore: profile.ignore,
    gitignore: true,
    ...(profile.sidecars ? { sidecars: profile.sidecars } : {}),
    ...(profile.ignoreFoldersWith ? { ignoreFoldersWith: profile.ignoreFoldersWith } : {}),
    kinds: Object.fromEntries(
      Object.entries(profile.kinds).map(([kind, rule]) => [
        kind,
        { extensions: rule.extensions, processor: rule.processor, settings: {} },
      ]),
    ),
    packs: [{ name: 'main', include }],
    tools: {},
    buildDir: profile.buildDir,
  };
}

/** The profile with `--root` and `--kind` applied. An extension a `--kind` claims leaves every other kind. */
function withOverrides(profile: EngineProfile, options: InitOptions): EngineProfile {
  const assetRoots = options.roots?.length ? [...new Set(options.roots.map(normalizeRoot))] : profile.assetRoots;
  const kinds = { ...profile.kinds };
  for (const [kind, rawExtensions] of Object.entries(options.kinds ?? {})) {
    const extensions = rawExtensions.map((extension) =>
      (extension.startsWith('.') ? extension : `.${extension}`).toLowerCase(),
    );
    for (const [other, rule] of Object.entries(kinds)) {
      const left = rule.extensions.filter((extension) => !extensions.includes(extension));
      if (left.length === 0) delete kinds[other];
      else kinds[other] = { ...rule, extensions: left };
    }
    if (extensions.length > 0) kinds[kind] = { extensions, processor: profile.kinds[kind]?.processor ?? 'copy' };
    else delete kinds[kind];
  }
  return { ...profile, assetRoots, kinds };
}

/** `./art/` → `art`, `./` → `.`: roots as packer.json spells them (the schema then checks what is left). */
function normalizeRoot(root: string): string {
  const trimmed = root
    .replace(/\\/g, '/')
    .replace(/^(?:\.\/)+/, '')
    .replace(/\/+$/, '');
  return trimmed === '' ? '.' : trimmed;
}

/** The packer.json of a project holding this folder, if any. */
function enclosingProject(root: string): string | undefined {
  for (let folder = path.dirname(root); ; folder = path.dirname(folder)) {
    const candidate = path.join(folder, CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(folder) === folder) return undefined;
  }
}

/** Appends the lines .gitignore lacks (by any usual spelling) and returns them. */
function gitIgnore(root: string, lines: string[]): string[] {
  const file = path.join(root, '.gitignore');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const present = new Set(current.split(/\r?\n/).map((line) => line.trim().replace(/^\//, '').replace(/\/$/, '')));
  const missing = lines.filter((line) => !present.has(line.replace(/^\//, '').replace(/\/$/, '')));
  if (missing.length > 0)
    writeFileSync(file, `${current}${current && !current.endsWith('\n') ? '\n' : ''}${missing.join('\n')}\n`);
  return missing;
}
