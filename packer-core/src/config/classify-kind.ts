import path from 'node:path';
import { FALLBACK_KIND, type ProjectConfig } from '../contract/config-schema.js';

/** Builds an extension → kind lookup for one config. */
export function kindClassifier(config: ProjectConfig): (relativePath: string) => string {
  const byExtension = new Map<string, string>();
  for (const [kind, rule] of Object.entries(config.kinds)) {
    for (const extension of rule.extensions) byExtension.set(extension, kind);
  }
  return (relativePath) => byExtension.get(path.posix.extname(relativePath).toLowerCase()) ?? FALLBACK_KIND;
}
