import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ProjectConfig } from '../contract/config-schema.js';
import { normalizeProjectPath, toAbsolute } from '../paths/project-path.js';

/** Where one pack and its manifest live. */
export interface PackFiles {
  name: string;
  /** Absolute paths. */
  pack: string;
  manifest: string;
  /** Project-relative paths, for reports. */
  relativePack: string;
  relativeManifest: string;
}

/** The build folder, absolute; PATH_OUTSIDE_PROJECT when `buildDir` escapes the project. */
export function buildDirOf(projectRoot: string, config: ProjectConfig): { absolute: string; relative: string } {
  const relative = normalizeProjectPath(config.buildDir, projectRoot);
  return { absolute: toAbsolute(projectRoot, relative), relative };
}

/** `<buildDir>/<name>.pack` and `<buildDir>/<name>.manifest.json`. */
export function packFilesOf(projectRoot: string, config: ProjectConfig, name: string): PackFiles {
  const dir = buildDirOf(projectRoot, config);
  return {
    name,
    pack: path.join(dir.absolute, `${name}.pack`),
    manifest: path.join(dir.absolute, `${name}.manifest.json`),
    relativePack: `${dir.relative}/${name}.pack`,
    relativeManifest: `${dir.relative}/${name}.manifest.json`,
  };
}

// Temp files of the pack writer (".core.pack.tmp-<hex>") and of atomic writes (".core.manifest.json.<pid>.<ms>.tmp").
const TEMP_FILE = /^\.[A-Za-z0-9][A-Za-z0-9._-]*\.(pack\.tmp-[0-9a-f]+|manifest\.json\.\d+\.\d+\.tmp)$/;

/** Removes temp files a crashed build left in the build folder; finished packs are never touched. */
export function sweepTempPacks(buildDir: string): void {
  if (!existsSync(buildDir)) return;
  for (const name of readdirSync(buildDir)) if (TEMP_FILE.test(name)) rmSync(path.join(buildDir, name), { force: true });
}
