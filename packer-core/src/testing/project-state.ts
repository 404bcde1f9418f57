import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { RegistryFile } from '../contract/registry-schema.js';
import { parseRegistry } from '../registry/registry-codec.js';
import { makeTempDir } from './temp-dirs.js';

const REGISTRY = 'packer.registry.json';

/**
 * Every file of a project except `.packer/` runtime state and the registry, as path → base64 bytes.
 * Comparing two of these compares the file set and every byte.
 */
export function readProjectFiles(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (child === '.packer' || child === REGISTRY) continue;
      if (entry.isDirectory()) walk(child);
      else out[child] = entry.isSymbolicLink() ? `symlink` : readFileSync(path.join(root, child)).toString('base64');
    }
  };
  walk('');
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Registry bytes on disk, or null when there is no registry file. */
export function readRegistryText(root: string): string | null {
  const file = path.join(root, REGISTRY);
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}

/** One registry entry seen through `registryByPath`: ids of assets created by the operation become `NEW`. */
export interface EntryView {
  id: string;
  kind: string;
  tags: string[];
  settings: Record<string, unknown>;
}

/**
 * The registry on disk (validated by the schema and the codec) as path → entry. Ids outside `knownIds` are
 * replaced by `NEW`, so the registries of two runs that each minted random ids compare equal.
 */
export function registryByPath(root: string, knownIds: ReadonlySet<string>): Record<string, EntryView> {
  const text = readRegistryText(root);
  if (text === null) return {};
  RegistryFile.parse(JSON.parse(text));
  const entries = parseRegistry(text, path.join(root, REGISTRY), root);
  const out: Record<string, EntryView> = {};
  for (const entry of [...entries].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    out[entry.path] = {
      id: knownIds.has(entry.id) ? entry.id : 'NEW',
      kind: entry.kind,
      tags: entry.tags,
      settings: entry.settings,
    };
  }
  return out;
}

/** Ids in the registry on disk. */
export function registryIds(root: string): string[] {
  const text = readRegistryText(root);
  return text === null ? [] : (JSON.parse(text) as RegistryFile).assets.map((entry) => entry.id);
}

/** A fresh copy of a project (runtime state included) in a new temp dir. */
export function copyProject(root: string): string {
  const copy = makeTempDir('packer-copy-');
  cpSync(root, copy, { recursive: true });
  return copy;
}
