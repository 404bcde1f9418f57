import { describe, expect, it } from 'vitest';
import { ProjectConfig } from '../contract/config-schema.js';
import { TEST_CONFIG } from '../testing/temp-project.js';
import { COOKIE_PREFIX, ignoreMatcher } from './scanner.js';

// The scan asks this of every path it meets; it was rewritten without a string built per call (issue 11, warm open).
describe('ignoreMatcher', () => {
  const ignored = ignoreMatcher(ProjectConfig.parse({ ...TEST_CONFIG, buildDir: 'out' }));

  it("skips the packer's own files and folders, cookies at any depth and the config's globs", () => {
    for (const relative of [
      'packer.json',
      'packer.registry.json',
      '.packer.registry.json.1234.tmp',
      '.packer',
      '.packer/digests.lmdb',
      '.git',
      '.git/HEAD',
      'packer.registry',
      'packer.registry/00.json',
      'out',
      'out/all.pack',
      `${COOKIE_PREFIX}1`,
      `assets/ui/${COOKIE_PREFIX}2`,
      'assets/scratch.tmp',
    ])
      expect(ignored(relative), relative).toBe(true);
  });

  it('keeps names that only begin like them, and the same names below the project root', () => {
    for (const relative of [
      'assets/hero.png',
      '.packerrc',
      '.github/workflow.yml',
      'output/x.png',
      'assets/out/x.png',
      'assets/.packer/x.png',
      'assets/packer.json',
      `assets/not${COOKIE_PREFIX}3`,
    ])
      expect(ignored(relative), relative).toBe(false);
  });
});
