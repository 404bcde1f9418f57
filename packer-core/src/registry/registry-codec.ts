import { z } from 'zod';
import { PackerError } from '../contract/errors.js';
import { RegistryEntry, type RegistryVersion } from '../contract/registry-schema.js';
import { normalizeTag, normalizeTagList } from '../contract/tag-name.js';
import { issueField, parseJsonFile } from '../config/json-file.js';
import { normalizeProjectPath } from '../paths/project-path.js';
import { escapePath, unsupportedNameReason } from '../paths/supported-name.js';
import { compareEntries, layoutRegistry, splitRegistryLines } from './registry-layout.js';
import { conflictMarkersError } from './conflict-markers.js';

const HINT = 'Fix the registry by hand or restore it from version control; the packer will not overwrite it.';

/** The top level of any registry format; entries are checked one by one by `validateEntry`. */
const RegistryTop = z.strictObject({ version: z.union([z.literal(1), z.literal(2)]), assets: z.array(z.unknown()) });

/** Canonical form of one entry: fixed key order, sorted tags and setting keys. */
export function canonicalEntry(entry: RegistryEntry): RegistryEntry {
  // fromEntries defines own properties: an assignment would drop a `__proto__` key silently, and then the reader
  // could not refuse it.
  const settings: RegistryEntry['settings'] = Object.fromEntries(
    Object.keys(entry.settings)
      .sort()
      .map((key) => [key, entry.settings[key]!]),
  );
  return { id: entry.id, path: entry.path, kind: entry.kind, settings, tags: normalizeTagList(entry.tags) };
}

/** The JSON text of one entry's line (without the line's leading separator). */
/**
 * Whether two entries hold the same values, field by field and without serialising. False may still be equal up to
 * tag order (callers that care fall back to comparing `entryBody`).
 */
export function sameEntryValues(a: RegistryEntry, b: RegistryEntry): boolean {
  if (a === b) return true;
  if (a.id !== b.id || a.path !== b.path || a.kind !== b.kind || a.tags.length !== b.tags.length) return false;
  for (let index = 0; index < a.tags.length; index++) if (a.tags[index] !== b.tags[index]) return false;
  const keys = Object.keys(a.settings);
  if (keys.length !== Object.keys(b.settings).length) return false;
  return keys.every((key) => Object.hasOwn(b.settings, key) && a.settings[key] === b.settings[key]);
}

export function entryBody(entry: RegistryEntry): string {
  return JSON.stringify(canonicalEntry(entry));
}

/**
 * Deterministic serialisation in format 2, from scratch: one entry per line, sorted by path (code point order,
 * which is UTF-8 byte order), canonical key order, trailing newline. The same registry always gives the same
 * bytes. `RegistryLines` gives byte-identical text while re-serialising only the entries that changed.
 */
export function serializeRegistry(entries: readonly RegistryEntry[]): string {
  return layoutRegistry([...entries].sort(compareEntries).map(entryBody));
}

/** What the reader found: the entries in file order, the format, and for a format 2 file the exact line texts it
 * validated. */
export interface RegistryRead {
  entries: RegistryEntry[];
  version: RegistryVersion;
  /** Per entry, the line text (separator stripped) that was parsed on its own; absent unless the file has the line
   * layout. */
  bodies?: readonly string[];
}

/**
 * Parses and validates registry text. Throws INVALID_REGISTRY naming the file and the first bad field:
 * bad JSON, schema violations (reserved setting keys included), a path the registry cannot hold (backslash,
 * control character), a path that is not normalised or escapes the project, or a duplicate id.
 * This is the one validation of a registry: the writer runs it (or, for unchanged lines, the same per-line check
 * it already ran) on every registry before writing it.
 */
export function parseRegistry(text: string, file: string, projectRoot: string): RegistryEntry[] {
  return readRegistry(text, file, projectRoot).entries;
}

/** `parseRegistry`, also telling the format and the validated line texts (for the writer's line cache). */
export function readRegistry(text: string, file: string, projectRoot: string): RegistryRead {
  let raws: unknown[] | undefined;
  let version: RegistryVersion = 2;
  // A text in the line layout is parsed line by line: each line is one JSON value, and the lines joined with the
  // layout's separators are exactly the `assets` array, so this is the same parse as one JSON.parse of the whole.
  const bodies = splitRegistryLines(text);
  if (bodies) {
    try {
      raws = bodies.map((body) => JSON.parse(body) as unknown);
    } catch {
      raws = undefined; // the whole-text parse below reports the error with its line and column
    }
  }
  const lineParsed = raws !== undefined;
  if (!raws) {
    // An unresolved merge reads as itself, with how to resolve it, not as a JSON syntax error.
    const conflicted = conflictMarkersError(text, file);
    if (conflicted) throw conflicted;
    const top = RegistryTop.safeParse(parseJsonFile(text, file, 'INVALID_REGISTRY'));
    if (!top.success) throw schemaError(file, top.error.issues[0], []);
    raws = top.data.assets;
    version = top.data.version;
  }
  const seen = new Set<string>();
  const entries = raws.map((raw, index) => {
    const entry = validateEntry(raw, index, file, projectRoot);
    if (seen.has(entry.id)) throw duplicateIdError(file, entry.id, index);
    seen.add(entry.id);
    return entry;
  });
  return lineParsed && bodies ? { entries, version, bodies } : { entries, version };
}

/** The per-entry half of the validation: schema, then the path rules. `index` only names the field in errors. */
export function validateEntry(raw: unknown, index: number, file: string, projectRoot: string): RegistryEntry {
  const result = RegistryEntry.safeParse(raw);
  if (!result.success) throw schemaError(file, result.error.issues[0], ['assets', index]);
  const entry = result.data;
  const unsupported = unsupportedNameReason(entry.path);
  if (unsupported !== undefined) {
    throw new PackerError(
      'INVALID_REGISTRY',
      `${file}: assets[${index}].path "${escapePath(entry.path)}" holds ${unsupported}, which a registry path cannot hold.`,
      {
        file,
        field: `assets[${index}].path`,
        diagnostic: 'INVALID_PATH',
        hint: 'Rename the file without backslashes or control characters, and fix its path in the registry to match.',
      },
    );
  }
  let normalized: string;
  try {
    normalized = normalizeProjectPath(entry.path, projectRoot);
  } catch (error) {
    throw new PackerError(
      'INVALID_REGISTRY',
      `${file}: assets[${index}].path ${JSON.stringify(entry.path)} is not a valid project path: ${(error as Error).message}`,
      {
        file,
        field: `assets[${index}].path`,
        diagnostic: (error as PackerError).code,
      },
    );
  }
  if (normalized !== entry.path) {
    throw new PackerError(
      'INVALID_REGISTRY',
      `${file}: assets[${index}].path ${JSON.stringify(entry.path)} is not normalised (expected ${JSON.stringify(normalized)}).`,
      {
        file,
        field: `assets[${index}].path`,
        diagnostic: 'INVALID_PATH',
      },
    );
  }
  // Tags in their one form (NFC, trimmed, one of each): a registry written by hand or before tags were normalised
  // still loads, and never holds two spellings of one tag. Such a line is not canonical, so the writer redoes it.
  if (entry.tags.some((tag) => normalizeTag(tag) !== tag)) entry.tags = normalizeTagList(entry.tags);
  return entry;
}

function duplicateIdError(file: string, id: string, index: number): PackerError {
  return new PackerError(
    'INVALID_REGISTRY',
    `${file}: field "assets[${index}].id" is invalid: asset id ${id} appears more than once.`,
    {
      file,
      field: `assets[${index}].id`,
      diagnostic: 'DUPLICATE_ID',
      hint: "Each asset id must be unique; this usually comes from a git merge without the packer's merge driver (both sides moved the asset). Keep the line whose path is right and delete the other (`packer add` registers that file anew), then run `packer git install` so later merges go by id.",
    },
  );
}

function schemaError(file: string, issue: z.core.$ZodIssue | undefined, prefix: PropertyKey[]): PackerError {
  const field = issue ? issueField({ ...issue, path: [...prefix, ...issue.path] }) : '(root)';
  return new PackerError(
    'INVALID_REGISTRY',
    `${file}: field "${field}" is invalid: ${issue?.message ?? 'unknown problem'}.`,
    { file, field, hint: HINT },
  );
}
