import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { PackerError } from '../contract/errors.js';
import type { ProjectConfigInput } from '../contract/config-schema.js';
import { CONFIG_FILE, validateConfig } from '../config/load-config.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { serializeRegistry } from '../registry/registry-codec.js';
import { REGISTRY_FILE } from '../registry/registry-store.js';

/** The starting config `packer init` writes: common game asset kinds, one pack of everything. */
export function defaultConfig(name: string): ProjectConfigInput {
  return {
    name,
    assetRoots: ['assets'],
    ignore: ['**/.DS_Store', '**/Thumbs.db', '**/*.tmp'],
    kinds: {
      image: { extensions: ['.png', '.jpg', '.jpeg'], processor: 'image', settings: {} },
      audio: { extensions: ['.wav', '.ogg', '.mp3'], processor: 'copy', settings: {} },
      data: { extensions: ['.json'], processor: 'json', settings: {} },
      text: { extensions: ['.txt', '.md'], processor: 'text', settings: {} },
    },
    packs: [{ name: 'main', include: ['assets/**'] }],
    tools: {},
  };
}

export interface InitResult {
  root: string;
  created: string[];
}

/**
 * Creates `packer.json`, an empty registry and the asset root, and git-ignores `.packer/`. Refuses to
 * overwrite an existing project.
 */
export function initProject(dir: string, options: { name?: string } = {}): InitResult {
  const root = path.resolve(dir);
  const configFile = path.join(root, CONFIG_FILE);
  const registryFile = path.join(root, REGISTRY_FILE);
  for (const file of [configFile, registryFile]) {
    if (existsSync(file)) {
      throw new PackerError('INVALID_CONFIG', `${file} already exists; packer init never overwrites a project.`, {
        file,
        hint: 'Use the existing project, or remove the file first.',
      });
    }
  }
  mkdirSync(root, { recursive: true });
  const config = defaultConfig(options.name ?? path.basename(root));
  validateConfig(config, configFile);
  const created: string[] = [];
  writeFileAtomic(configFile, JSON.stringify(config, null, 2) + '\n');
  created.push(CONFIG_FILE);
  writeFileAtomic(registryFile, serializeRegistry([]));
  created.push(REGISTRY_FILE);
  const assets = path.join(root, 'assets');
  if (!existsSync(assets)) {
    mkdirSync(assets);
    created.push('assets/');
  }
  const gitignore = path.join(root, '.gitignore');
  const current = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
  if (!current.split(/\r?\n/).some((line) => line.trim() === '.packer/' || line.trim() === '.packer')) {
    writeFileSync(gitignore, `${current}${current && !current.endsWith('\n') ? '\n' : ''}.packer/\n`);
    created.push('.gitignore');
  }
  return { root, created };
}
