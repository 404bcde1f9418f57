import { renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// oclif finds a command through `oclif.manifest.json` (ids, flags, help, the file of each command) and then imports
// that one file. Without the manifest it imports every command to build one in memory: ink, the Studio server and
// the rest, on each run of the bin. The file is generated, never committed: `npm run build` writes it, and the bin
// writes it again whenever the CLI was compiled after it (see `ensureManifest`), so it cannot go stale.

/** The CLI package's folder (the oclif root plugin). */
export const CLI_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where oclif reads the root plugin's manifest. */
export const MANIFEST_FILE = path.join(CLI_ROOT, 'oclif.manifest.json');
// `tsc -b` rewrites it whenever it compiles anything of the CLI (tsconfig.json: tsBuildInfoFile).
const BUILD_INFO_FILE = path.join(CLI_ROOT, 'dist', '.tsbuildinfo');

/** True when the manifest exists and is at least as new as the CLI's last compilation. */
export function manifestIsFresh(): boolean {
  let written: number;
  try {
    written = statSync(MANIFEST_FILE).mtimeMs;
  } catch {
    return false;
  }
  try {
    return written >= statSync(BUILD_INFO_FILE).mtimeMs;
  } catch {
    return true; // an installed copy without build info: the manifest shipped with it
  }
}

/** Builds the manifest as `oclif manifest` does (every command imported once) and writes it atomically. */
export async function writeManifest(): Promise<string> {
  const { Plugin } = await import('@oclif/core');
  const plugin = new Plugin({
    root: CLI_ROOT,
    isRoot: true,
    ignoreManifest: true,
    errorOnManifestCreate: true,
    respectNoCacheDefault: true,
  });
  await plugin.load();
  const temp = `${MANIFEST_FILE}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(plugin.manifest, null, 2)}\n`);
    // A rename: a bin starting meanwhile reads the old manifest or the new one, never half of one.
    renameSync(temp, MANIFEST_FILE);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // never written
    }
    throw error;
  }
  return MANIFEST_FILE;
}

/**
 * Regenerates a missing or stale manifest before oclif reads it. Best effort: where the CLI's folder is read-only,
 * oclif builds the manifest in memory as it would without one (slower, same behaviour).
 */
export async function ensureManifest(): Promise<void> {
  if (manifestIsFresh()) return;
  try {
    await writeManifest();
  } catch {
    // read-only install or a command that fails to import: oclif reports the latter itself
  }
}
