import { z } from 'zod';
import { isPackerError, PackerError } from '../contract/errors.js';
import { AuditRecord } from '../contract/mutation-schema.js';
import { issueField, parseJsonFile } from '../config/json-file.js';
import { assetRootOf, normalizeProjectPath } from '../paths/project-path.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { parseRegistry, validateEntry } from '../registry/registry-codec.js';
import {
  readCommittedMark,
  type LegacyJournal,
  type ShardedJournal,
  type SingleFileJournal,
  type StoredJournal,
} from './journal-file.js';
import { isRegistryFileName, REGISTRY_FILE } from '../registry/registry-shards.js';
import { rebuildRegistry, registryDigest, type RegistrySides } from './registry-change.js';

/** Where the journal lives, as people see it (messages, diagnostics). */
export const JOURNAL_DISPLAY_PATH = '.packer/journal.json';

/** What recovery would do with an invalid journal is a guess, so a person decides. */
export const INVALID_JOURNAL_HINT =
  'The packer did not run it and will not write to this project until it is gone. Inspect it (`cat .packer/journal.json`): it describes ' +
  'an interrupted operation. If packer.registry.json and the files look right, delete it (`rm .packer/journal.json`; files that ' +
  'operation deleted may still wait in .packer/trash/) and retry.';

const OPERATION_ID = /^op_[0-9A-HJKMNP-TV-Z]{26}$/;

/** True for ids of the packer's own shape (`op_` + a ULID); a journal or apply naming anything else is refused. */
export function isOperationId(value: string): boolean {
  return OPERATION_ID.test(value);
}

const Step = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('move'), from: z.string(), to: z.string() }),
  z.strictObject({ op: z.literal('delete'), path: z.string(), trash: z.string() }),
]);

const Digest = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 digest (64 lowercase hex characters)');

const journalFields = {
  // It names a folder under .packer/trash/ that recovery deletes: nothing but the packer's own shape is acceptable.
  operationId: z.string().regex(OPERATION_ID, 'must be an operation id (op_ + 26 characters)'),
  state: z.enum(['pending', 'committed']),
  steps: z.array(Step),
  audit: AuditRecord,
  idempotency: z.strictObject({ key: z.string().min(1), mutationHash: z.string(), result: z.unknown() }).optional(),
};

const changeFields = {
  before: Digest.nullable(),
  // Entries are checked by the registry reader's own per-entry rules below (schema and path rules).
  removed: z.array(z.unknown()),
  added: z.array(z.unknown()),
  beforeText: z.string().optional(),
};

const JournalSchema = z.discriminatedUnion('version', [
  z.strictObject({
    version: z.literal(3),
    ...journalFields,
    // One record per registry file written or deleted (after: null); the names are checked below.
    registry: z.array(z.strictObject({ file: z.string(), ...changeFields, after: Digest.nullable() })),
  }),
  z.strictObject({
    version: z.literal(2),
    ...journalFields,
    registry: z.strictObject({ ...changeFields, after: Digest }),
  }),
  z.strictObject({
    version: z.literal(1),
    ...journalFields,
    registryBefore: z.string().nullable(),
    registryAfter: z.string(),
  }),
]);

/** A journal that passed every check, with both texts of each registry file it would restore (each matching its
 * digest). */
export interface CheckedJournal {
  journal: StoredJournal;
  sides: RegistrySides[];
}

/** What the journal is checked against: the project it claims to belong to. */
export interface JournalRules {
  projectRoot: string;
  assetRoots: readonly string[];
  /** The bytes of a registry file (project-relative) on disk now (null: no file). */
  readRegistryFile(relative: string): string | null;
  /** Absolute path of the journal file, for `data.file`. */
  file: string;
}

/**
 * Parses and validates a journal before recovery may act on it: shape (zod), every step path by the same rules as
 * a plan (normalised, inside an asset root; deletes park only in the operation's own trash folder), both registries
 * valid, and the registry on disk equal to one of them. For a version 2 journal the other registry is rebuilt from
 * the one on disk and the recorded change, and must hash to the recorded digest. Throws INVALID_JOURNAL naming the
 * first problem.
 */
export function parseJournal(text: string, rules: JournalRules): CheckedJournal {
  // The commit point is a mark appended to the JSON; a torn one was never flushed, so the journal is still pending.
  const { json, mark } = readCommittedMark(text);
  let raw: unknown;
  try {
    raw = parseJsonFile(json, JOURNAL_DISPLAY_PATH, 'INVALID_JOURNAL');
  } catch (error) {
    const { file: _display, ...where } = isPackerError(error, 'INVALID_JOURNAL') ? error.data : {};
    throw new PackerError(
      'INVALID_JOURNAL',
      (error as Error).message,
      { ...where, file: rules.file, hint: INVALID_JOURNAL_HINT },
      { cause: error },
    );
  }
  const parsed = JournalSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const field = first ? issueField(first) : '(root)';
    throw invalid(rules, `field "${field}" is invalid: ${first?.message ?? 'unknown problem'}`, field);
  }
  const journal = parsed.data as StoredJournal;
  if (mark === 'committed') journal.state = 'committed';
  journal.steps.forEach((step, index) => {
    if (step.op === 'move') {
      checkPath(rules, step.from, `steps[${index}].from`);
      checkPath(rules, step.to, `steps[${index}].to`);
    } else {
      checkPath(rules, step.path, `steps[${index}].path`);
      const trash = `.packer/trash/${journal.operationId}/${index}`;
      if (step.trash !== trash)
        throw invalid(
          rules,
          `steps[${index}].trash is ${JSON.stringify(step.trash)}, not the operation's own trash slot ${trash}`,
          `steps[${index}].trash`,
        );
    }
  });
  if (journal.version === 1) return { journal, sides: [legacySides(rules, journal)] };
  if (journal.version === 2) return { journal, sides: [singleFileSides(rules, journal)] };
  return { journal, sides: shardedSides(rules, journal) };
}

function singleFileSides(rules: JournalRules, journal: SingleFileJournal): RegistrySides {
  return changeSides(rules, journal.operationId, { file: REGISTRY_FILE, ...journal.registry }, 'registry');
}

function shardedSides(rules: JournalRules, journal: ShardedJournal): RegistrySides[] {
  const seen = new Set<string>();
  return journal.registry.map((change, index) => {
    const field = `registry[${index}]`;
    // Recovery writes and deletes exactly these files: nothing but a registry file's own name is acceptable.
    if (!isRegistryFileName(change.file))
      throw invalid(
        rules,
        `${field}.file ${JSON.stringify(change.file)} is not a registry file (packer.registry.json or packer.registry/<hex>.json)`,
        `${field}.file`,
      );
    if (seen.has(change.file)) throw invalid(rules, `${field}.file ${change.file} is named twice`, `${field}.file`);
    seen.add(change.file);
    return changeSides(rules, journal.operationId, change, field);
  });
}

function legacySides(rules: JournalRules, journal: LegacyJournal): RegistrySides {
  const registryNow = rules.readRegistryFile(REGISTRY_FILE);
  checkRegistry(rules, journal.registryAfter, 'registryAfter');
  if (journal.registryBefore !== null) checkRegistry(rules, journal.registryBefore, 'registryBefore');
  // Recovery restores one of the two registries; one that is neither was changed by someone else since the crash,
  // and overwriting (or, with registryBefore null, deleting) it would destroy their work.
  if (registryNow !== journal.registryBefore && registryNow !== journal.registryAfter) {
    const before = journal.registryBefore === null ? 'absent' : 'the registry before';
    throw invalid(
      rules,
      `packer.registry.json on disk is neither ${before} nor the registry after operation ${journal.operationId}, so the journal does not describe this project`,
      'registryBefore',
    );
  }
  const { registryBefore, registryAfter } = journal;
  return {
    file: REGISTRY_FILE,
    before: registryBefore === null ? null : { sha256: registryDigest(registryBefore), text: () => registryBefore },
    after: { sha256: registryDigest(registryAfter), text: () => registryAfter },
  };
}

/** One file's record of a version 2 or 3 journal. */
interface FileChangeRecord {
  file: string;
  before: string | null;
  after: string | null;
  removed: unknown[];
  added: unknown[];
  beforeText?: string | undefined;
}

/**
 * Rebuilds the side of one registry file that is not on disk from the one that is, checking both against their
 * digests. An absent file stands for a null digest on either side (created, or deleted, by the operation).
 */
function changeSides(rules: JournalRules, operationId: string, change: FileChangeRecord, field: string): RegistrySides {
  const removed = change.removed.map((raw, index) => checkEntry(rules, raw, `${field}.removed[${index}]`));
  const added = change.added.map((raw, index) => checkEntry(rules, raw, `${field}.added[${index}]`));
  if (change.beforeText !== undefined) {
    if (change.before === null)
      throw invalid(rules, `${field}.beforeText is given for a registry that did not exist`, `${field}.beforeText`);
    if (registryDigest(change.beforeText) !== change.before)
      throw invalid(rules, `${field}.beforeText does not match its sha256 (${field}.before)`, `${field}.beforeText`);
  }
  if (change.before === null && change.after === null)
    throw invalid(rules, `${field} neither had nor leaves a file`, `${field}.after`);
  const { file } = change;
  const now = rules.readRegistryFile(file);
  const digestNow = now === null ? null : registryDigest(now);
  // Recovery restores one of the two registries; one that is neither was changed by someone else since the crash,
  // and overwriting (or, with `before` null, deleting) it would destroy their work.
  const onDisk = digestNow === change.after ? 'after' : digestNow === change.before ? 'before' : undefined;
  if (onDisk === undefined) {
    const before = change.before === null ? 'absent' : 'the registry before';
    const after = change.after === null ? 'absent (deleted by' : 'the registry after';
    throw invalid(
      rules,
      `${file} on disk is neither ${before} nor ${after} operation ${operationId}${change.after === null ? ')' : ''} (by sha256), so the journal does not describe this project`,
      `${field}.before`,
    );
  }
  if (onDisk === 'after') {
    const entriesNow = now === null ? [] : checkRegistry(rules, now, `${field}.after`);
    const before =
      change.before === null
        ? null
        : (change.beforeText ?? rebuilt(rules, file, entriesNow, added, removed, `${field}.before`, change.before));
    if (before !== null) checkRegistry(rules, before, `${field}.before`);
    return {
      file,
      before: before === null ? null : { sha256: change.before!, text: () => before },
      after: now === null ? null : { sha256: change.after!, text: () => now },
    };
  }
  const entriesNow = now === null ? [] : checkRegistry(rules, now, `${field}.before`);
  if (change.after === null) {
    // A deletion: what it removes must be the whole file.
    if (added.length > 0 || !sameIds(entriesNow, removed))
      throw invalid(
        rules,
        `${field} deletes ${file} but its change does not remove exactly the entries on disk`,
        `${field}.removed`,
      );
    return { file, before: now === null ? null : { sha256: change.before!, text: () => now }, after: null };
  }
  const after = rebuilt(rules, file, entriesNow, removed, added, `${field}.after`, change.after);
  checkRegistry(rules, after, `${field}.after`);
  return {
    file,
    before: now === null ? null : { sha256: change.before!, text: () => now },
    after: { sha256: change.after, text: () => after },
  };
}

function sameIds(entries: readonly RegistryEntry[], removed: readonly RegistryEntry[]): boolean {
  if (entries.length !== removed.length) return false;
  const ids = new Set(removed.map((entry) => entry.id));
  return entries.every((entry) => ids.has(entry.id));
}

/** The side not on disk, rebuilt, or INVALID_JOURNAL when the change does not fit or the result is not what was
 * recorded. */
function rebuilt(
  rules: JournalRules,
  file: string,
  from: readonly RegistryEntry[],
  take: readonly RegistryEntry[],
  put: readonly RegistryEntry[],
  field: string,
  digest: string,
): string {
  let text: string;
  try {
    text = rebuildRegistry(from, take, put);
  } catch (error) {
    throw invalid(
      rules,
      `the registry change does not fit ${file} on disk (${(error as Error).message}), so ${field} cannot be rebuilt`,
      field,
    );
  }
  if (registryDigest(text) !== digest) {
    throw invalid(
      rules,
      `${field} rebuilt from ${file} on disk and the recorded change does not match its sha256, so the journal does not describe this project`,
      field,
    );
  }
  return text;
}

function checkEntry(rules: JournalRules, raw: unknown, field: string): RegistryEntry {
  try {
    return validateEntry(raw, 0, JOURNAL_DISPLAY_PATH, rules.projectRoot);
  } catch (error) {
    throw invalid(
      rules,
      `${field} is not a valid registry entry: ${(error as Error).message.replace(/assets\[0\]/g, field)}`,
      field,
    );
  }
}

/** The INVALID_JOURNAL error for a journal that cannot even be read (or checked against the registry). */
export function unreadableJournal(rules: Pick<JournalRules, 'file'>, cause: unknown): PackerError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new PackerError(
    'INVALID_JOURNAL',
    `${JOURNAL_DISPLAY_PATH} cannot be read or checked: ${reason}.`,
    {
      file: rules.file,
      hint: INVALID_JOURNAL_HINT,
    },
    { cause },
  );
}

function checkPath(rules: JournalRules, value: string, field: string): void {
  let normalized: string;
  try {
    normalized = normalizeProjectPath(value, rules.projectRoot);
  } catch (error) {
    throw invalid(
      rules,
      `${field} ${JSON.stringify(value)} is not a path inside the project: ${(error as Error).message}`,
      field,
    );
  }
  if (normalized !== value)
    throw invalid(
      rules,
      `${field} ${JSON.stringify(value)} is not normalised (expected ${JSON.stringify(normalized)})`,
      field,
    );
  if (!assetRootOf(value, rules.assetRoots))
    throw invalid(
      rules,
      `${field} ${JSON.stringify(value)} is outside every asset root (${rules.assetRoots.join(', ')})`,
      field,
    );
}

function checkRegistry(rules: JournalRules, text: string, field: string): RegistryEntry[] {
  try {
    return parseRegistry(text, `${JOURNAL_DISPLAY_PATH} ${field}`, rules.projectRoot);
  } catch (error) {
    throw invalid(rules, `${field} is not a valid registry: ${(error as Error).message}`, field);
  }
}

function invalid(rules: Pick<JournalRules, 'file'>, problem: string, field: string): PackerError {
  return new PackerError('INVALID_JOURNAL', `${JOURNAL_DISPLAY_PATH} is invalid: ${problem}.`, {
    file: rules.file,
    field,
    hint: INVALID_JOURNAL_HINT,
  });
}
