import { statSync } from 'node:fs';
import path from 'node:path';
import type { ProjectConfig } from '../contract/config-schema.js';

/** An `assetRoots` entry that the scan cannot walk, and why. */
export interface MissingRoot {
  root: string;
  reason: 'missing' | 'not-a-folder';
}

/**
 * The asset roots that are not folders on disk, in config order: a typo in `assetRoots` would otherwise show an
 * empty, healthy project. A few stats per look (one per root), so every observation can afford it.
 */
export function missingRoots(projectRoot: string, config: ProjectConfig): MissingRoot[] {
  const out: MissingRoot[] = [];
  for (const root of config.assetRoots) {
    if (root === '.') continue;
    try {
      if (!statSync(path.join(projectRoot, root)).isDirectory()) out.push({ root, reason: 'not-a-folder' });
    } catch {
      out.push({ root, reason: 'missing' });
    }
  }
  return out;
}
