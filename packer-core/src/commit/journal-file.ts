import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { AuditRecord, FilesystemMutation } from '../contract/mutation-schema.js';
import { fsyncDirectory, writeFileAtomic } from '../fs/atomic-write.js';
import type { RegistryChange } from './registry-change.js';

/** One idempotent filesystem step; `delete` parks the file in `.packer/trash/` until the commit is final. */
export type JournalStep = { op: 'move'; from: string; to: string } | { op: 'delete'; path: string; trash: string };

/** What every journal shape holds besides the registry. */
interface JournalBase {
  operationId: string;
  state: 'pending' | 'committed';
  steps: JournalStep[];
  /** Written to the audit log (and idempotency store) when the commit completes, even via recovery. */
  audit: AuditRecord;
  idempotency?: { key: string; mutationHash: string; result: unknown };
}

/**
 * The write-ahead record of one commit. The registry is recorded as what changes (see `RegistryChange`): a one-asset
 * commit journals one entry and two digests, not the whole registry twice.
 */
export interface Journal extends JournalBase {
  version: 2;
  registry: RegistryChange;
}

/** A journal written by an earlier version (the whole registry before and after); still recovered after an upgrade. */
export interface LegacyJournal extends JournalBase {
  version: 1;
  /** Registry bytes before the operation; null when there was no registry file. */
  registryBefore: string | null;
  registryAfter: string;
}

/** Any journal a crash may have left in `.packer/`. */
export type StoredJournal = Journal | LegacyJournal;

/** Where the journal and the trash live inside `.packer/`. */
export class JournalFile {
  readonly file: string;
  readonly trashRoot: string;

  constructor(readonly stateDir: string) {
    this.file = path.join(stateDir, 'journal.json');
    this.trashRoot = path.join(stateDir, 'trash');
  }

  /** The journal's raw text, or undefined when there is none; a journal is validated (journal-schema) before use. */
  readText(): string | undefined {
    if (!existsSync(this.file)) return undefined;
    return readFileSync(this.file, 'utf8');
  }

  exists(): boolean {
    return existsSync(this.file);
  }

  /** Atomic and fsynced, with its folder: the journal is durable before any step runs. */
  write(journal: StoredJournal): void {
    writeFileAtomic(this.file, JSON.stringify(journal));
  }

  remove(): void {
    rmSync(this.file, { force: true });
    fsyncDirectory(this.stateDir);
  }

  trashDir(operationId: string): string {
    return path.join(this.trashRoot, operationId);
  }

  /** Relative trash location for the n-th delete of an operation. */
  trashPathFor(operationId: string, index: number): string {
    return `.packer/trash/${operationId}/${index}`;
  }
}

/** Turns a plan's filesystem mutations into journal steps. */
export function journalSteps(
  operationId: string,
  journal: JournalFile,
  mutations: readonly FilesystemMutation[],
): JournalStep[] {
  return mutations.map((mutation, index) =>
    mutation.op === 'move'
      ? { op: 'move', from: mutation.from, to: mutation.to }
      : { op: 'delete', path: mutation.path, trash: journal.trashPathFor(operationId, index) },
  );
}
