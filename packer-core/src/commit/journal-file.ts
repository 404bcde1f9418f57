import {
  closeSync,
  constants,
  existsSync,
  fdatasyncSync,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { PackerError } from '../contract/errors.js';
import type { AuditRecord, FilesystemMutation } from '../contract/mutation-schema.js';
import { fsyncDirectory, fsyncDirectoryLater, writeFileAtomic } from '../fs/atomic-write.js';
import { putCompactJson } from '../fs/compact-json.js';
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

/**
 * The commit point: this line appended to a pending journal (whose JSON ends with a newline) and fdatasynced. One small
 * write and one flush of an existing file, where a whole second journal (temp file, fsync, rename, folder fsync) used
 * to be. A crash can leave it torn; `readCommittedMark` tells a torn mark from a whole one.
 */
export const COMMITTED_MARK = '{"state":"committed"}\n';

/**
 * Splits a journal's text into its JSON and its committed mark. `committed`: the whole mark ends the text. `torn`: the
 * text ends in a line that is a prefix of the mark, or the mark with bytes still zero (a crash during the append, so
 * the fdatasync never returned and nothing past the commit point ran: the operation is pending). `none`: no mark (a
 * pending journal, or one an earlier version wrote whole with `state: committed`). Anything else after the JSON is
 * left to the JSON parser to refuse.
 */
export function readCommittedMark(text: string): { json: string; mark: 'none' | 'committed' | 'torn' } {
  if (text.endsWith(COMMITTED_MARK)) return { json: text.slice(0, -COMMITTED_MARK.length), mark: 'committed' };
  const lineStart = text.lastIndexOf('\n') + 1;
  const last = text.slice(lineStart);
  const torn =
    lineStart > 0 &&
    last.length > 0 &&
    last.length <= COMMITTED_MARK.length &&
    [...last].every((char, index) => char === COMMITTED_MARK[index] || char === '\0');
  return torn ? { json: text.slice(0, lineStart), mark: 'torn' } : { json: text, mark: 'none' };
}

/** Where the journal and the trash live inside `.packer/`. */
export class JournalFile {
  readonly file: string;
  readonly trashRoot: string;
  /** The journal this process last wrote (inode and size), which `markCommitted` appends to. */
  private written: { dev: number; ino: number; size: number } | undefined;

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
    // In pieces: the journal of a 1M-file add holds 1M entries (~190 MB of JSON, twice over with its UTF-8 copy).
    writeFileAtomic(this.file, (put) => {
      putCompactJson(put, journal);
      put('\n');
    });
    const { dev, ino, size } = lstatSync(this.file);
    this.written = { dev, ino, size };
  }

  /**
   * The commit point: appends `COMMITTED_MARK` to the pending journal this process just wrote, and fdatasyncs it
   * (the registry files were fsynced, with their folders, before). Refuses a journal file that is not that one (a
   * symlink, another inode, another size) rather than mark something it did not write.
   */
  markCommitted(): void {
    const written = this.written;
    const fd = openSync(this.file, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
    try {
      const now = fstatSync(fd);
      if (!written || now.dev !== written.dev || now.ino !== written.ino || now.size !== written.size) {
        throw new PackerError(
          'IO_ERROR',
          `Cannot mark ${this.file} committed: it is not the journal this commit wrote.`,
          {
            path: this.file,
            hint: 'Something else writes to .packer/ while the packer commits. Stop it, then run `packer status`.',
          },
        );
      }
      writeFileSync(fd, COMMITTED_MARK);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.written = undefined;
  }

  /**
   * Removes the journal once its operation is final. After a commit the folder is fsynced off the lane, not waited
   * for: no crash needs the removal on disk, since a committed journal that reappears rolls forward again (every step
   * and registry write is idempotent, and a registry changed since is refused, never overwritten). A rollback's
   * removal (`durable`) is waited for: a pending journal that reappeared would undo its steps a second time, over
   * whatever the person did since.
   */
  remove(options: { durable?: boolean } = {}): void {
    rmSync(this.file, { force: true });
    this.written = undefined;
    if (options.durable === false) fsyncDirectoryLater(this.stateDir);
    else fsyncDirectory(this.stateDir);
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
