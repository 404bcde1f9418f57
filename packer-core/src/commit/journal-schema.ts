import { z } from 'zod';
import { isPackerError, PackerError } from '../contract/errors.js';
import { AuditRecord } from '../contract/mutation-schema.js';
import { issueField, parseJsonFile } from '../config/json-file.js';
import { assetRootOf, normalizeProjectPath } from '../paths/project-path.js';
import { parseRegistry } from '../registry/registry-codec.js';
import type { Journal } from './journal-file.js';

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

const JournalSchema = z.strictObject({
  version: z.literal(1),
  // It names a folder under .packer/trash/ that recovery deletes: nothing but the packer's own shape is acceptable.
  operationId: z.string().regex(OPERATION_ID, 'must be an operation id (op_ + 26 characters)'),
  state: z.enum(['pending', 'committed']),
  steps: z.array(
    z.discriminatedUnion('op', [
      z.strictObject({ op: z.literal('move'), from: z.string(), to: z.string() }),
      z.strictObject({ op: z.literal('delete'), path: z.string(), trash: z.string() }),
    ]),
  ),
  registryBefore: z.string().nullable(),
  registryAfter: z.string(),
  audit: AuditRecord,
  idempotency: z.strictObject({ key: z.string().min(1), mutationHash: z.string(), result: z.unknown() }).optional(),
});

/** What the journal is checked against: the project it claims to belong to. */
export interface JournalRules {
  projectRoot: string;
  assetRoots: readonly string[];
  /** The registry bytes on disk now (null: no file). */
  registryNow: string | null;
  /** Absolute path of the journal file, for `data.file`. */
  file: string;
}

/**
 * Parses and validates a journal before recovery may act on it: shape (zod), every step path by the same rules as
 * a plan (normalised, inside an asset root; deletes park only in the operation's own trash folder), both registries
 * valid, and the registry on disk equal to one of them. Throws INVALID_JOURNAL naming the first problem.
 */
export function parseJournal(text: string, rules: JournalRules): Journal {
  let raw: unknown;
  try {
    raw = parseJsonFile(text, JOURNAL_DISPLAY_PATH, 'INVALID_JOURNAL');
  } catch (error) {
    const { file: _display, ...where } = isPackerError(error, 'INVALID_JOURNAL') ? error.data : {};
    throw new PackerError('INVALID_JOURNAL', (error as Error).message, { ...where, file: rules.file, hint: INVALID_JOURNAL_HINT }, { cause: error });
  }
  const parsed = JournalSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const field = first ? issueField(first) : '(root)';
    throw invalid(rules, `field "${field}" is invalid: ${first?.message ?? 'unknown problem'}`, field);
  }
  const journal = parsed.data as Journal;
  journal.steps.forEach((step, index) => {
    if (step.op === 'move') {
      checkPath(rules, step.from, `steps[${index}].from`);
      checkPath(rules, step.to, `steps[${index}].to`);
    } else {
      checkPath(rules, step.path, `steps[${index}].path`);
      const trash = `.packer/trash/${journal.operationId}/${index}`;
      if (step.trash !== trash) throw invalid(rules, `steps[${index}].trash is ${JSON.stringify(step.trash)}, not the operation's own trash slot ${trash}`, `steps[${index}].trash`);
    }
  });
  checkRegistry(rules, journal.registryAfter, 'registryAfter');
  if (journal.registryBefore !== null) checkRegistry(rules, journal.registryBefore, 'registryBefore');
  // Recovery restores one of the two registries; one that is neither was changed by someone else since the crash,
  // and overwriting (or, with registryBefore null, deleting) it would destroy their work.
  if (rules.registryNow !== journal.registryBefore && rules.registryNow !== journal.registryAfter) {
    const before = journal.registryBefore === null ? 'absent' : 'the registry before';
    throw invalid(rules, `packer.registry.json on disk is neither ${before} nor the registry after operation ${journal.operationId}, so the journal does not describe this project`, 'registryBefore');
  }
  return journal;
}

/** The INVALID_JOURNAL error for a journal that cannot even be read (or checked against the registry). */
export function unreadableJournal(rules: Pick<JournalRules, 'file'>, cause: unknown): PackerError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new PackerError('INVALID_JOURNAL', `${JOURNAL_DISPLAY_PATH} cannot be read or checked: ${reason}.`, {
    file: rules.file,
    hint: INVALID_JOURNAL_HINT,
  }, { cause });
}

function checkPath(rules: JournalRules, value: string, field: string): void {
  let normalized: string;
  try {
    normalized = normalizeProjectPath(value, rules.projectRoot);
  } catch (error) {
    throw invalid(rules, `${field} ${JSON.stringify(value)} is not a path inside the project: ${(error as Error).message}`, field);
  }
  if (normalized !== value) throw invalid(rules, `${field} ${JSON.stringify(value)} is not normalised (expected ${JSON.stringify(normalized)})`, field);
  if (!assetRootOf(value, rules.assetRoots)) throw invalid(rules, `${field} ${JSON.stringify(value)} is outside every asset root (${rules.assetRoots.join(', ')})`, field);
}

function checkRegistry(rules: JournalRules, text: string, field: string): void {
  try {
    parseRegistry(text, `${JOURNAL_DISPLAY_PATH} ${field}`, rules.projectRoot);
  } catch (error) {
    throw invalid(rules, `${field} is not a valid registry: ${(error as Error).message}`, field);
  }
}

function invalid(rules: Pick<JournalRules, 'file'>, problem: string, field: string): PackerError {
  return new PackerError('INVALID_JOURNAL', `${JOURNAL_DISPLAY_PATH} is invalid: ${problem}.`, { file: rules.file, field, hint: INVALID_JOURNAL_HINT });
}
