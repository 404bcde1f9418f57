import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PackManifest } from '../contract/build-schema.js';
import type { ProjectConfig } from '../contract/config-schema.js';
import { normalizeProjectPath, toAbsolute } from '../paths/project-path.js';

/** Where one pack and its manifest live. */
export interface PackFiles {
  name: string;
  /** Absolute paths. `pack` is the file the manifest names (`<name>.pack` when there is no usable manifest). */
  pack: string;
  manifest: string;
  /** Project-relative paths, for reports. */
  relativePack: string;
  relativeManifest: string;
}

/** Hex digits of the whole-file digest in a pack's file name: enough to tell apart the versions of one pack that
 * coexist. */
export const PACK_NAME_DIGEST_CHARS = 16;

/** The build folder, absolute; PATH_OUTSIDE_PROJECT when `buildDir` escapes the project. */
export function buildDirOf(projectRoot: string, config: ProjectConfig): { absolute: string; relative: string } {
  const relative = normalizeProjectPath(config.buildDir, projectRoot);
  return { absolute: toAbsolute(projectRoot, relative), relative };
}

/** `<name>.<first 16 hex of its sha256>.pack`: a pack version's file name, which no other version of the pack
 * shares. */
export function contentAddressedName(name: string, digest: string): string {
  return `${name}.${digest.slice(0, PACK_NAME_DIGEST_CHARS)}.pack`;
}

/**
 * `<buildDir>/<name>.manifest.json` and the pack file it names (`<name>.<digest>.pack`; packs written before
 * content addressing are `<name>.pack`). Reads the manifest; pass it when the caller already has it.
 */
export function packFilesOf(
  projectRoot: string,
  config: ProjectConfig,
  name: string,
  manifest: PackManifest | undefined | null = null,
): PackFiles {
  const dir = buildDirOf(projectRoot, config);
  const manifestPath = path.join(dir.absolute, `${name}.manifest.json`);
  const known = manifest === null ? readManifest(manifestPath) : manifest;
  const file = (known && manifestPackFile(known)) ?? `${name}.pack`;
  return {
    name,
    pack: path.join(dir.absolute, file),
    manifest: manifestPath,
    relativePack: `${dir.relative}/${file}`,
    relativeManifest: `${dir.relative}/${name}.manifest.json`,
  };
}

/** `<buildDir>/<name>.manifest.json`, absolute, without reading it. */
export function manifestPathOf(projectRoot: string, config: ProjectConfig, name: string): string {
  return path.join(buildDirOf(projectRoot, config).absolute, `${name}.manifest.json`);
}

/** The manifest at `file`, or undefined when it is missing or does not validate. */
export function readManifest(file: string): PackManifest | undefined {
  try {
    const parsed = PackManifest.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The pack file a manifest names, when it is a plain file name beside the manifest (anything else is refused). */
export function manifestPackFile(manifest: PackManifest): string | undefined {
  return PACK_FILE.test(manifest.file) ? manifest.file : undefined;
}

const PACK_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.pack$/;

// Temp files of the pack writer (".core.pack.tmp-<hex>") and of atomic writes
// (".core.manifest.json.<pid>.<ms>[.<n>].tmp").
const TEMP_FILE = /^\.[A-Za-z0-9][A-Za-z0-9._-]*\.(pack\.tmp-[0-9a-f]+|manifest\.json\.\d+\.\d+(\.\d+)?\.tmp)$/;

/** Removes temp files a crashed build left in the build folder; returns their names. Finished packs are never
 * touched. */
export function sweepTempPacks(buildDir: string): string[] {
  if (!existsSync(buildDir)) return [];
  const removed = readdirSync(buildDir).filter((name) => TEMP_FILE.test(name));
  for (const name of removed) rmSync(path.join(buildDir, name), { force: true });
  return removed;
}

/**
 * Removes pack files no manifest names any more: versions of configured packs (`<name>.<hex>.pack`) left
 * after their manifest moved on or by a crash before their manifest was committed, and `<name>.pack` of the
 * old layout once a manifest names another file. A file any configured pack's manifest names is kept.
 * Returns the removed names.
 */
export function removeUnreferencedPacks(
  projectRoot: string,
  config: ProjectConfig,
  named: ManifestedFile = manifestedFile,
): string[] {
  const dir = buildDirOf(projectRoot, config).absolute;
  if (!existsSync(dir)) return [];
  const names = config.packs.map((rule) => rule.name);
  const referenced = new Set<string>();
  for (const name of names) {
    const file = named(name, path.join(dir, `${name}.manifest.json`));
    if (file) referenced.add(file);
  }
  const removed: string[] = [];
  for (const file of readdirSync(dir)) {
    if (referenced.has(file) || !file.endsWith('.pack')) continue;
    // A `<name>.pack` without a manifest is left alone: it may be a copy a person put there.
    const stale = names.some(
      (name) =>
        isVersionOf(file, name) || (file === `${name}.pack` && existsSync(path.join(dir, `${name}.manifest.json`))),
    );
    if (!stale) continue;
    rmSync(path.join(dir, file), { force: true });
    removed.push(file);
  }
  return removed;
}

/**
 * The pack file that the manifest of pack `name` (at `manifestPath`) names now, or undefined when it names none.
 * Callers that know it without parsing the manifest (the build state, a commit in progress) pass their own.
 */
export type ManifestedFile = (name: string, manifestPath: string) => string | undefined;

/** `ManifestedFile` by reading the manifest. */
export const manifestedFile: ManifestedFile = (_name, manifestPath) => {
  const manifest = readManifest(manifestPath);
  return (manifest && manifestPackFile(manifest)) || undefined;
};

/** True for `<name>.<16 hex>.pack`, a content-addressed version of pack `name`. */
export function isVersionOf(file: string, name: string): boolean {
  if (!file.startsWith(`${name}.`)) return false;
  return new RegExp(`^[0-9a-f]{${PACK_NAME_DIGEST_CHARS}}\\.pack$`).test(file.slice(name.length + 1));
}
