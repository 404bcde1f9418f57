import { PackerError } from '../contract/errors.js';
import { REGISTRY_VERSION, RegistryFile, type RegistryEntry } from '../contract/registry-schema.js';
import { issueField, parseJsonFile } from '../config/json-file.js';
import { normalizeProjectPath } from '../paths/project-path.js';
import { escapePath, unsupportedNameReason } from '../paths/supported-name.js';

/** Canonical form of one entry: fixed key order, sorted tags and setting keys. */
export function canonicalEntry(entry: RegistryEntry): RegistryEntry {
  const settings: RegistryEntry['settings'] = {};
  for (const key of Object.keys(entry.settings).sort()) settings[key] = entry.settings[key]!;
  return { id: entry.id, path: entry.path, kind: entry.kind, settings, tags: [...new Set(entry.tags)].sort() };
}

/**
 * Deterministic serialisation: sorted by id, stable key order, 2-space indent, trailing newline.
 * The same registry always gives the same bytes, so diffs and merges stay small.
 */
export function serializeRegistry(entries: readonly RegistryEntry[]): string {
  const assets = [...entries].map(canonicalEntry).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return JSON.stringify({ version: REGISTRY_VERSION, assets }, null, 2) + '\n';
}

/**
 * Parses and validates registry text. Throws INVALID_REGISTRY naming the file and the first bad field:
 * bad JSON, schema violations (reserved setting keys included), a path the registry cannot hold (backslash,
 * control character), a path that is not normalised or escapes the project, or a duplicate id.
 * This is the one validation of a registry: the writer runs it on every registry before writing it.
 */
export function parseRegistry(text: string, file: string, projectRoot: string): RegistryEntry[] {
  const raw = parseJsonFile(text, file, 'INVALID_REGISTRY');
  const result = RegistryFile.safeParse(raw);
  if (!result.success) {
    const first = result.error.issues[0];
    const field = first ? issueField(first) : '(root)';
    throw new PackerError('INVALID_REGISTRY', `${file}: field "${field}" is invalid: ${first?.message ?? 'unknown problem'}.`, {
      file,
      field,
      hint: 'Fix the registry by hand or restore it from version control; the packer will not overwrite it.',
    });
  }
  const seen = new Set<string>();
  result.data.assets.forEach((entry, index) => {
    if (seen.has(entry.id)) {
      throw new PackerError('INVALID_REGISTRY', `${file}: field "assets[${index}].id" is invalid: asset id ${entry.id} appears more than once.`, {
        file,
        field: `assets[${index}].id`,
        diagnostic: 'DUPLICATE_ID',
        hint: 'Each asset id must be unique; this usually comes from a merge. Keep one entry and give the other file a new registration.',
      });
    }
    seen.add(entry.id);
    const unsupported = unsupportedNameReason(entry.path);
    if (unsupported !== undefined) {
      throw new PackerError('INVALID_REGISTRY', `${file}: assets[${index}].path "${escapePath(entry.path)}" holds ${unsupported}, which a registry path cannot hold.`, {
        file,
        field: `assets[${index}].path`,
        diagnostic: 'INVALID_PATH',
        hint: 'Rename the file without backslashes or control characters, and fix its path in the registry to match.',
      });
    }
    let normalized: string;
    try {
      normalized = normalizeProjectPath(entry.path, projectRoot);
    } catch (error) {
      throw new PackerError('INVALID_REGISTRY', `${file}: assets[${index}].path ${JSON.stringify(entry.path)} is not a valid project path: ${(error as Error).message}`, {
        file,
        field: `assets[${index}].path`,
        diagnostic: (error as PackerError).code,
      });
    }
    if (normalized !== entry.path) {
      throw new PackerError('INVALID_REGISTRY', `${file}: assets[${index}].path ${JSON.stringify(entry.path)} is not normalised (expected ${JSON.stringify(normalized)}).`, {
        file,
        field: `assets[${index}].path`,
        diagnostic: 'INVALID_PATH',
      });
    }
  });
  return result.data.assets;
}
