import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** What `npm run build -w @packer/daemon` writes beside the bundle (see daemon/rolldown.config.mjs). */
export const BUNDLE_MANIFEST = 'bundle-daemon-main.inputs.json';

/** Each file as the bundle saw it: path relative to the dist folder, size, mtime (ms, as `fs.Stats` gives it). */
type FileMark = [file: string, size: number, mtimeMs: number];

export interface BundleManifest {
  /** The entry, relative to the dist folder. */
  entry: string;
  /** The bundle's own files (entry and chunks). */
  outputs: FileMark[];
  /** Every module it was built from: the compiled packages' dist files and the dependencies it inlines. */
  inputs: FileMark[];
}

/**
 * The file URL of the daemon's one-file bundle in `distDir` when every module it was built from, and every file of
 * the bundle itself, still has the size and mtime the build recorded; otherwise undefined, and the caller loads the
 * modules one by one. The check is ~360 stats (a few ms), where loading those modules one by one costs 0.2-0.4 s
 * of a start. A `tsc -b` after the bundle was made (a developer's or a test's edit) always wins this way: the
 * bundle is never run stale.
 */
export function freshBundle(distDir: string): string | undefined {
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(distDir, BUNDLE_MANIFEST), 'utf8')) as BundleManifest;
  } catch {
    return undefined;
  }
  if (!Array.isArray(manifest.inputs) || !Array.isArray(manifest.outputs) || typeof manifest.entry !== 'string')
    return undefined;
  for (const [file, size, mtimeMs] of [...manifest.outputs, ...manifest.inputs]) {
    const stat = statSync(path.resolve(distDir, file), { throwIfNoEntry: false });
    if (!stat || stat.size !== size || stat.mtimeMs !== mtimeMs) return undefined;
  }
  return pathToFileURL(path.resolve(distDir, manifest.entry)).href;
}
