import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { AuditRecord, FilesystemMutation } from '../contract/mutation-schema.js';
import { fsyncDirectory, writeFileAtomic } from '../fs/atomic-write.js';
import type { RegistryChange } from './registry-change.js';
import type { RegistryFileChange } from '../registry/registry-store.js';
import { REGISTRY_FILE } from '../registry/registry-shards.js';

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
 * The write-ahead record of one commit that changes only `packer.registry.json` (the single-file layout). The
 * registry is recorded as what changes (see `RegistryChange`): a one-asset commit journals one entry and two digests,
 * not the whole registry twice.
 */
export interface SingleFileJournal extends JournalBase {
  version: 2;
  registry: RegistryChange;
}

/**
 * The write-ahead record of a commit to a sharded registry (or one that moves entries between layouts): what changes
 * in each registry file it writes or deletes (see `RegistryFileChange`).
 */
export interface ShardedJournal extends JournalBase {
  version: 3;
  registry: RegistryFileChange[];
}

/** A journal the packer writes: version 2 when only `packer.registry.json` changes, else version 3. */
export type Journal = SingleFileJournal | ShardedJournal;

/** A journal written by an earlier version (the whole registry before and after); still recovered after an upgrade. */
export interface LegacyJournal extends JournalBase {
  version: 1;
  /** Registry bytes before the operation; null when there was no registry file. */
  registryBefore: string | null;
  registryAfter: string;
}

/** Any journal a crash may have left in `.packer/`. */
export type StoredJournal = Journal | LegacyJournal;

/**
 * The journal fields of a staged registry change: version 2 (as before shards existed) when it writes only
 * `packer.registry.json`, else version 3 with one record per file.
 */
export function journalRegistry(
  files: readonly { change: RegistryFileChange }[],
): Pick<SingleFileJournal, 'version' | 'registry'> | Pick<ShardedJournal, 'version' | 'registry'> {
  const only = files.length === 1 ? files[0]!.change : undefined;
  if (only && only.file === REGISTRY_FILE && only.after !== null) {
    const { file: _file, after, ...rest } = only;
    return { version: 2, registry: { ...rest, after } };
  }
  return { version: 3, registry: files.map((item) => item.change) };
}

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
