import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ProjectConfigInput } from '../contract/config-schema.js';
import { makeTempDir } from './temp-dirs.js';

/** Default config for tests: a few kinds, one asset root. */
export const TEST_CONFIG: ProjectConfigInput = {
  name: 'test-project',
  assetRoots: ['assets'],
  ignore: ['**/*.tmp'],
  kinds: {
    image: { extensions: ['.png'], processor: 'image', settings: { premultiply: 'boolean', maxSize: 'number' } },
    data: { extensions: ['.json'], processor: 'json' },
    text: { extensions: ['.txt'], processor: 'text' },
  },
  packs: [{ name: 'all', include: ['assets/**'] }],
};

/** Creates a project in a fresh temp dir with the given files (project-relative path → content). */
export function makeTempProject(
  files: Record<string, string | Uint8Array>,
  config: ProjectConfigInput = TEST_CONFIG,
): string {
  const root = makeTempDir('packer-test-');
  writeFileSync(path.join(root, 'packer.json'), JSON.stringify(config, null, 2));
  for (const [relative, content] of Object.entries(files)) {
    const absolute = path.join(root, relative);
    mkdirSync(path.dirname(absolute), { recursive: true });
    writeFileSync(absolute, content);
  }
  return root;
}
