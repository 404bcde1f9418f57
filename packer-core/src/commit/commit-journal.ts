import { rmdirSync, rmSync } from 'node:fs';
import type { Diagnostic } from '../contract/diagnostics.js';
import { PackerError, toPackerError } from '../contract/errors.js';
import type { RegistryStore, StagedRegistry } from '../registry/registry-store.js';
import { symlinkInPath } from '../paths/symlink-in-path.js';
import { parseRegistry } from '../registry/registry-codec.js';
import { appendAll } from '../snapshot/append-all.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import type { JournalFile, Journal, JournalStep, StoredJournal } from './journal-file.js';
import { JOURNAL_DISPLAY_PATH, parseJournal, unreadableJournal } from './journal-schema.js';
import { lazySide, rebuildRegistry, type RegistrySides } from './registry-change.js';
import { redoStep, undoStep } from './step-runner.js';

/** Named points between commit steps, where failure-injection hooks run. */
export type CommitPoint =
  'journal-written' | `step-${number}` | 'registry-written' | 'journal-committed' | 'trash-removed';

/** Called between every pair of commit steps; tests throw or kill here to simulate a crash. */
export type CommitHook = (point: CommitPoint, operationId: string) => void | Promise<void>;

/** What the commit touches. */
export interface CommitTarget {
  projectRoot: string;
  journal: JournalFile;
  registry: RegistryStore;
  hook?: CommitHook | undefined;
  /** Called once the commit is final (normal path and recovery alike): audit + idempotency records. */
  onCommitted(journal: StoredJournal): void;
}

/**
 * The commit protocol: 1) durable journal, 2) filesystem steps in order, 3) atomic registry write,
 * 4) journal marked committed, 5) trash removed, 6) journal deleted. A crash before 4 rolls back at the next
 * open; after 4 it rolls forward. Either way the workspace is exactly before or after, never a mix.
 *
 * What is flushed, and why (5 fsyncs for a one-file commit): 1) the journal file and its folder, before any step;
 * 3) each registry file and each folder it lands in, before the mark; 4) the mark (fdatasync of the journal), before
 * the trash goes and before the caller hears "applied". The steps' renames are not flushed one by one: until the
 * mark they are undone from the journal, after it redone, both idempotently. 6) is not waited for (see
 * `JournalFile.remove`).
 */
export async function runCommit(
  target: CommitTarget,
  journal: Journal,
  registry: StagedRegistry,
): Promise<Diagnostic[]> {
  const { journal: file, hook } = target;
  const sides = commitSides(registry, target.projectRoot);
  file.write(journal);
  let performed = 0;
  try {
    await hook?.('journal-written', journal.operationId);
    for (const [index, step] of journal.steps.entries()) {
      const outcome = redoStep(target.projectRoot, step);
      // Outside recovery every step must really move something: "already there" means the target existed
      // beforehand (an empty folder, an ignored file, a racing writer), and recording the move would be a lie.
      if (outcome !== 'moved') throw stepFailed(index, step, outcome);
      performed = index + 1;
      await hook?.(`step-${index}`, journal.operationId);
    }
    // Each changed registry file atomically, deletions by rm, each folder fsynced once.
    target.registry.writeStaged(registry);
    await hook?.('registry-written', journal.operationId);
  } catch (error) {
    // In-process we know which steps ran: undo only those, so a step that never happened cannot "undo" someone else's
    // file.
    if (isSimulatedCrash(error)) throw error;
    const problems = rollBack(target, journal, sides, performed);
    // A step that could not be undone (its folder was swapped for a symlink, say) is named, not hidden.
    if (problems.length > 0) {
      const packerError = toPackerError(error);
      throw new PackerError(
        packerError.code,
        packerError.message,
        { ...packerError.data, rollbackProblems: problems },
        { cause: error },
      );
    }
    throw error;
  }
  // The commit point: the mark appended to the journal and flushed (see COMMITTED_MARK).
  file.markCommitted();
  // Past the commit point the operation has happened: only a crash stops it now. Any other failure leaves the
  // committed journal for the next open to finish, and the operation still counts as applied: the caller hears
  // about it as a problem, never as a throw (a retry would apply the change a second time).
  let recorded = false;
  const committedTarget: CommitTarget = {
    ...target,
    onCommitted: (committed) => {
      recorded = true;
      target.onCommitted(committed);
    },
  };
  const problems: Diagnostic[] = [];
  try {
    await afterCommitPoint(hook, 'journal-committed', journal.operationId);
    // One problem per step that could not be redone: as many as the change's paths.
    appendAll(problems, await finishCommitted(committedTarget, journal, sides, hook));
  } catch (error) {
    if (isSimulatedCrash(error)) throw error;
    problems.push(afterCommitProblem(journal.operationId, 'finishing the commit', error));
    if (!recorded) {
      try {
        target.onCommitted(journal);
      } catch (recordError) {
        problems.push(afterCommitProblem(journal.operationId, 'recording it (audit, idempotency)', recordError));
      }
    }
  }
  return problems;
}

/** The warning for a failure past the commit point: the change happened, so it must not be applied again. */
export function afterCommitProblem(operationId: string, what: string, error: unknown): Diagnostic {
  return diagnostic(
    'AFTER_COMMIT_FAILED',
    `Operation ${operationId} was committed, but ${what} failed: ${toPackerError(error).message}`,
    {},
    'The change is on disk and in the registry: do not apply it again. Run `packer check` to see the current state.',
  );
}

/** What recovery did; `invalid` means the journal failed validation and nothing was executed. */
export type RecoveryResult =
  | { outcome: 'none' | 'rolled-back' | 'rolled-forward'; operationId?: string; diagnostics: Diagnostic[] }
  | { outcome: 'invalid'; error: PackerError; diagnostics: Diagnostic[] };

/**
 * Recovery at open: no journal → nothing; pending → undo; committed → finish. The journal is validated first
 * (shape, path rules, registries): an invalid one is never executed, whatever it says.
 */
export async function recoverJournal(target: CommitTarget, assetRoots: readonly string[]): Promise<RecoveryResult> {
  let journal: StoredJournal;
  let sides: RegistrySides[];
  try {
    const text = target.journal.readText();
    if (text === undefined) return { outcome: 'none', diagnostics: [] };
    ({ journal, sides } = parseJournal(text, {
      projectRoot: target.projectRoot,
      assetRoots,
      readRegistryFile: (relative) => target.registry.readFile(relative),
      file: target.journal.file,
    }));
  } catch (error) {
    const packerError =
      error instanceof PackerError && error.code === 'INVALID_JOURNAL'
        ? error
        : unreadableJournal(target.journal, error);
    return { outcome: 'invalid', error: packerError, diagnostics: [invalidJournalDiagnostic(packerError)] };
  }
  if (journal.state === 'pending') {
    return { outcome: 'rolled-back', operationId: journal.operationId, diagnostics: rollBack(target, journal, sides) };
  }
  return {
    outcome: 'rolled-forward',
    operationId: journal.operationId,
    diagnostics: await finishCommitted(target, journal, sides),
  };
}

/** The INVALID_JOURNAL blocker a snapshot carries while an invalid journal keeps the project read-only. */
export function invalidJournalDiagnostic(error: PackerError): Diagnostic {
  return diagnostic('INVALID_JOURNAL', error.message, { path: JOURNAL_DISPLAY_PATH }, String(error.data.hint ?? ''));
}

/** Runs one step of a rollback or roll-forward; a step that meets a symlink is reported, never forced. */
function recoverStep(
  journal: StoredJournal,
  step: JournalStep,
  direction: 'undo' | 'redo',
  run: () => 'moved' | 'already' | 'lost',
): Diagnostic | undefined {
  const where = step.op === 'move' ? (direction === 'undo' ? step.from : step.to) : step.path;
  try {
    return run() === 'lost' && (direction === 'undo' || step.op === 'move')
      ? lostStep(journal, where, direction)
      : undefined;
  } catch (error) {
    const packerError = toPackerError(error);
    return diagnostic(
      packerError.code === 'SYMLINK_IN_PATH' ? 'SYMLINK_IN_PATH' : 'RECOVERY_INCOMPLETE',
      `Recovering operation ${journal.operationId} could not ${direction} a step at ${where}: ${packerError.message}`,
      { path: where },
      step.op === 'delete' && direction === 'undo'
        ? `The file is kept at ${step.trash}. Check the folders on ${where} (one may have been replaced by a symlink), restore the file by hand, then run \`packer reconcile\`.`
        : 'Check that path by hand (a folder on it may have been replaced), then run `packer reconcile`.',
    );
  }
}

function rollBack(
  target: CommitTarget,
  journal: StoredJournal,
  sides: readonly RegistrySides[],
  performed = journal.steps.length,
): Diagnostic[] {
  const problems: Diagnostic[] = [];
  for (const step of journal.steps.slice(0, performed).reverse()) {
    const problem = recoverStep(journal, step, 'undo', () => undoStep(target.projectRoot, step));
    if (problem) problems.push(problem);
  }
  for (const side of sides) {
    // "No file before" deletes only the file this operation wrote, never one someone else put there.
    const registryNow = target.registry.fileDigest(side.file);
    if (side.before === null) {
      if (side.after !== null && registryNow === side.after.sha256) target.registry.removeFile(side.file);
    } else if (registryNow !== side.before.sha256) {
      target.registry.writeFile(side.file, side.before.text());
    }
  }
  // Files a delete parked in the trash stay there when their way back was blocked: kept, never lost.
  if (problems.length === 0) removeTrash(target, journal);
  target.journal.remove();
  return problems;
}

async function finishCommitted(
  target: CommitTarget,
  journal: StoredJournal,
  sides: readonly RegistrySides[],
  hook?: CommitHook,
): Promise<Diagnostic[]> {
  const problems: Diagnostic[] = [];
  for (const step of journal.steps) {
    // A delete whose file and trash are both gone is simply done (recoverStep reports only lost moves on redo).
    const problem = recoverStep(journal, step, 'redo', () => redoStep(target.projectRoot, step));
    if (problem) problems.push(problem);
  }
  for (const side of sides) {
    const registryNow = target.registry.fileDigest(side.file);
    if (side.after === null) {
      if (registryNow !== null) target.registry.removeFile(side.file);
    } else if (registryNow !== side.after.sha256) target.registry.writeFile(side.file, side.after.text());
  }
  removeTrash(target, journal);
  await afterCommitPoint(hook, 'trash-removed', journal.operationId);
  target.onCommitted(journal);
  target.journal.remove({ durable: false });
  return problems;
}

function removeTrash(target: CommitTarget, journal: StoredJournal): void {
  // A recursive delete must not follow a `.packer/` or `.packer/trash/` that was swapped for a link.
  if (symlinkInPath(target.projectRoot, `.packer/trash/${journal.operationId}`, true) !== undefined) return;
  rmSync(target.journal.trashDir(journal.operationId), { recursive: true, force: true });
  try {
    rmdirSync(target.journal.trashRoot);
  } catch {
    // another operation's trash is still there, or there was none
  }
}

function stepFailed(index: number, step: JournalStep, outcome: 'already' | 'lost'): PackerError {
  const [from, to] = step.op === 'move' ? [step.from, step.to] : [step.path, step.trash];
  const exists = outcome === 'already';
  return new PackerError(
    'IO_ERROR',
    exists
      ? `Cannot move ${from} to ${to}: ${to} already exists on disk.`
      : `Cannot move ${from} to ${to}: ${from} is not on disk.`,
    {
      path: exists ? to : from,
      syscall: 'rename',
      errno: exists ? 'EEXIST' : 'ENOENT',
      step: index,
      hint: 'Nothing was changed. Refresh, preview again and choose another destination.',
    },
  );
}

function lostStep(journal: StoredJournal, path: string, direction: 'undo' | 'redo'): Diagnostic {
  return diagnostic(
    'RECOVERY_INCOMPLETE',
    `Recovering operation ${journal.operationId} could not ${direction} a step at ${path}: the file is neither at its old nor its new place.`,
    { path },
    'Someone changed the files during the crash window. Check the file and run `packer reconcile`.',
  );
}

/**
 * The registry sides of a commit being written, file by file: the after text is in memory; the before text is
 * rebuilt only if an in-process rollback has to put it back (from the after text and the change, or the copy the
 * journal carries).
 */
function commitSides(registry: StagedRegistry, projectRoot: string): RegistrySides[] {
  return registry.files.map(({ change, text }) => {
    const before =
      change.before === null
        ? null
        : lazySide(
            change.before,
            () =>
              change.beforeText ??
              rebuildRegistry(
                text === null ? [] : parseRegistry(text, change.file, projectRoot),
                change.added,
                change.removed,
              ),
          );
    const after = change.after === null || text === null ? null : { sha256: change.after, text: () => text };
    return { file: change.file, before, after };
  });
}

/** Thrown by failure-injection hooks to leave the workspace as a crash would (no in-process rollback). */
export class SimulatedCrash extends Error {
  constructor(readonly point: CommitPoint) {
    super(`simulated crash at ${point}`);
    this.name = 'SimulatedCrash';
  }
}

/** A hook past the commit point: a simulated crash stops the process as a real one would; any other error cannot undo
 * the commit. */
async function afterCommitPoint(hook: CommitHook | undefined, point: CommitPoint, operationId: string): Promise<void> {
  try {
    await hook?.(point, operationId);
  } catch (error) {
    if (isSimulatedCrash(error)) throw error;
  }
}

export function isSimulatedCrash(error: unknown): boolean {
  return error instanceof SimulatedCrash;
}
