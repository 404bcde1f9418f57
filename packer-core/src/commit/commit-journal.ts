import { rmdirSync, rmSync } from 'node:fs';
import type { Diagnostic } from '../contract/diagnostics.js';
import { PackerError } from '../contract/errors.js';
import type { RegistryStore } from '../registry/registry-store.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import { JournalFile, type Journal, type JournalStep } from './journal-file.js';
import { redoStep, undoStep } from './step-runner.js';

/** Named points between commit steps, where failure-injection hooks run. */
export type CommitPoint = 'journal-written' | `step-${number}` | 'registry-written' | 'journal-committed' | 'trash-removed';

/** Called between every pair of commit steps; tests throw or kill here to simulate a crash. */
export type CommitHook = (point: CommitPoint, operationId: string) => void | Promise<void>;

/** What the commit touches. */
export interface CommitTarget {
  projectRoot: string;
  journal: JournalFile;
  registry: RegistryStore;
  hook?: CommitHook | undefined;
  /** Called once the commit is final (normal path and recovery alike): audit + idempotency records. */
  onCommitted(journal: Journal): void;
}

/**
 * The commit protocol: 1) durable journal, 2) filesystem steps in order, 3) atomic registry write,
 * 4) journal marked committed, 5) trash removed, 6) journal deleted. A crash before 4 rolls back at the next
 * open; after 4 it rolls forward. Either way the workspace is exactly before or after, never a mix.
 */
export async function runCommit(target: CommitTarget, journal: Journal): Promise<void> {
  const { journal: file, hook } = target;
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
    target.registry.writeText(journal.registryAfter);
    await hook?.('registry-written', journal.operationId);
  } catch (error) {
    // In-process we know which steps ran: undo only those, so a step that never happened cannot "undo" someone else's file.
    if (!isSimulatedCrash(error)) rollBack(target, journal, performed);
    throw error;
  }
  file.write({ ...journal, state: 'committed' });
  // Past the commit point the operation has happened: only a crash stops it now. Any other failure leaves the
  // committed journal for the next open to finish, and the operation still counts as applied.
  try {
    await afterCommitPoint(hook, 'journal-committed', journal.operationId);
    await finishCommitted(target, journal, hook);
  } catch (error) {
    if (isSimulatedCrash(error)) throw error;
    target.onCommitted(journal);
  }
}

/** Recovery at open: no journal → nothing; pending → undo; committed → finish. */
export async function recoverJournal(target: CommitTarget): Promise<{ outcome: 'none' | 'rolled-back' | 'rolled-forward'; operationId?: string; diagnostics: Diagnostic[] }> {
  const journal = target.journal.read();
  if (!journal) return { outcome: 'none', diagnostics: [] };
  if (journal.state === 'pending') {
    return { outcome: 'rolled-back', operationId: journal.operationId, diagnostics: rollBack(target, journal) };
  }
  return { outcome: 'rolled-forward', operationId: journal.operationId, diagnostics: await finishCommitted(target, journal) };
}

function rollBack(target: CommitTarget, journal: Journal, performed = journal.steps.length): Diagnostic[] {
  const problems: Diagnostic[] = [];
  for (const step of journal.steps.slice(0, performed).reverse()) {
    if (undoStep(target.projectRoot, step) === 'lost') problems.push(lostStep(journal, step.op === 'move' ? step.from : step.path, 'undo'));
  }
  if (journal.registryBefore === null) rmSync(target.registry.file, { force: true });
  else if (target.registry.readText() !== journal.registryBefore) target.registry.writeText(journal.registryBefore);
  removeTrash(target, journal);
  target.journal.remove();
  return problems;
}

async function finishCommitted(target: CommitTarget, journal: Journal, hook?: CommitHook): Promise<Diagnostic[]> {
  const problems: Diagnostic[] = [];
  for (const step of journal.steps) {
    // A delete whose file and trash are both gone is simply done.
    if (redoStep(target.projectRoot, step) === 'lost' && step.op === 'move') problems.push(lostStep(journal, step.to, 'redo'));
  }
  if (target.registry.readText() !== journal.registryAfter) target.registry.writeText(journal.registryAfter);
  removeTrash(target, journal);
  await afterCommitPoint(hook, 'trash-removed', journal.operationId);
  target.onCommitted(journal);
  target.journal.remove();
  return problems;
}

function removeTrash(target: CommitTarget, journal: Journal): void {
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
  return new PackerError('IO_ERROR', exists ? `Cannot move ${from} to ${to}: ${to} already exists on disk.` : `Cannot move ${from} to ${to}: ${from} is not on disk.`, {
    path: exists ? to : from,
    syscall: 'rename',
    errno: exists ? 'EEXIST' : 'ENOENT',
    step: index,
    hint: 'Nothing was changed. Refresh, preview again and choose another destination.',
  });
}

function lostStep(journal: Journal, path: string, direction: 'undo' | 'redo'): Diagnostic {
  return diagnostic('RECOVERY_INCOMPLETE', `Recovering operation ${journal.operationId} could not ${direction} a step at ${path}: the file is neither at its old nor its new place.`,
    { path }, 'Someone changed the files during the crash window. Check the file and run `packer reconcile`.');
}

/** Thrown by failure-injection hooks to leave the workspace as a crash would (no in-process rollback). */
export class SimulatedCrash extends Error {
  constructor(readonly point: CommitPoint) {
    super(`simulated crash at ${point}`);
    this.name = 'SimulatedCrash';
  }
}

/** A hook past the commit point: a simulated crash stops the process as a real one would; any other error cannot undo the commit. */
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
