import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { RegistryFile, type RegistryEntry } from '../contract/registry-schema.js';
import { parseRegistry } from '../registry/registry-codec.js';
import { makeTempDir } from './temp-dirs.js';

const REGISTRY = 'packer.registry.json';
const REGISTRY_FOLDER = 'packer.registry';

/**
 * Every file of a project except `.packer/` runtime state and the registry, as path → base64 bytes.
 * Comparing two of these compares the file set and every byte.
 */
export function readProjectFiles(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (child === '.packer' || child === REGISTRY || child === REGISTRY_FOLDER) continue;
      if (entry.isDirectory()) walk(child);
      else out[child] = entry.isSymbolicLink() ? `symlink` : readFileSync(path.join(root, child)).toString('base64');
    }
  };
  walk('');
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Each registry file on disk (packer.registry.json and the shards of packer.registry/), project-relative → text. */
export function readRegistryFiles(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (existsSync(path.join(root, REGISTRY))) out[REGISTRY] = readFileSync(path.join(root, REGISTRY), 'utf8');
  const folder = path.join(root, REGISTRY_FOLDER);
  if (existsSync(folder))
    for (const name of readdirSync(folder).sort())
      out[`${REGISTRY_FOLDER}/${name}`] = readFileSync(path.join(folder, name), 'utf8');
  return out;
}

/**
 * Registry bytes on disk, or null when there is no registry file: the text of packer.registry.json alone, or with
 * shards every file's name and text (so comparing two of these compares every registry file byte for byte).
 */
export function readRegistryText(root: string): string | null {
  const files = Object.entries(readRegistryFiles(root));
  if (files.length === 0) return null;
  if (files.length === 1 && files[0]![0] === REGISTRY) return files[0]![1];
  return files.map(([name, text]) => `--- ${name}\n${text}`).join('');
}

/** Every entry of every registry file on disk (each file validated by the codec). */
function registryEntries(root: string): RegistryEntry[] {
  return Object.entries(readRegistryFiles(root)).flatMap(([name, text]) => {
    RegistryFile.parse(JSON.parse(text));
    return parseRegistry(text, path.join(root, name), root);
  });
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
  const entries = registryEntries(root);
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
  return Object.values(readRegistryFiles(root)).flatMap((text) =>
    (JSON.parse(text) as RegistryFile).assets.map((entry) => entry.id),
  );
}

/** A fresh copy of a project (runtime state included) in a new temp dir. */
export function copyProject(root: string): string {
  const copy = makeTempDir('packer-copy-');
  cpSync(root, copy, { recursive: true });
  return copy;
}
