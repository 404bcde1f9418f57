import {
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { StorageWarning } from '../contract/methods.js';
import type { AuditRecord } from '../contract/mutation-schema.js';
import { WriteHealth } from '../fs/write-health.js';
import { auditChanges } from './audit-changes.js';

// Records held in memory while the file refuses them; past this the oldest are given up (and counted).
const MAX_PENDING = 1000;

/** Append-only NDJSON audit log in `.packer/audit.ndjson`: one record per applied or refused mutation. */
export class AuditLog {
  readonly file: string;
  private pending: string[] = [];
  private dropped = 0;
  private readonly health = new WriteHealth('audit-log');

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'audit.ndjson');
  }

  /**
   * Appends a record; a record whose operation is already logged (recovery re-running) is skipped.
   * Never throws: the record describes an outcome already decided (a commit happened, or a refusal is about to be
   * thrown), so a file that cannot be written must not change that outcome. Such records are kept in memory,
   * served by `list`, written once the file takes them again (`flush`), and reported by `writeProblem`.
   */
  append(input: AuditRecord): void {
    const record = withChanges(input);
    if (
      record.result === 'applied' &&
      this.tail(50).some((existing) => existing.operationId === record.operationId && existing.result === 'applied')
    )
      return;
    this.pending.push(JSON.stringify(record) + '\n');
    if (this.pending.length > MAX_PENDING) {
      this.pending.shift();
      this.dropped += 1;
    }
    this.flush();
  }

  /** Writes the records held back by earlier failures, in order. Returns whether every record is on disk. */
  flush(): boolean {
    while (this.pending.length > 0) {
      try {
        appendWholeLine(this.file, this.pending[0]!);
      } catch (error) {
        this.health.failed(this.file, error, {
          pending: this.pending.length,
          ...(this.dropped > 0 ? { dropped: this.dropped } : {}),
        });
        return false;
      }
      this.pending.shift();
    }
    this.dropped = 0;
    this.health.succeeded();
    return true;
  }

  /** Why records are held in memory (a full disk, say), until they are written. */
  get writeProblem(): StorageWarning | undefined {
    return this.health.warning;
  }

  /** All records, oldest first; a torn last line (crash mid-append) is skipped. */
  list(options: { limit?: number; operationId?: string } = {}): AuditRecord[] {
    const records: AuditRecord[] = [];
    const lines = existsSync(this.file) ? readFileSync(this.file, 'utf8').split('\n') : [];
    for (const line of [...lines, ...this.pending]) {
      if (!line.trim()) continue;
      try {
        records.push(withChanges(JSON.parse(line) as AuditRecord));
      } catch {
        // torn write from a crash: ignore
      }
    }
    const filtered = options.operationId
      ? records.filter((record) => record.operationId === options.operationId)
      : records;
    return options.limit ? filtered.slice(-options.limit) : filtered;
  }

  private tail(count: number): AuditRecord[] {
    return this.list({ limit: count });
  }
}

/** An applied record with its `changes` summary (records written before it existed get theirs when read). */
function withChanges(record: AuditRecord): AuditRecord {
  if (record.changes || record.result !== 'applied' || !record.registryMutations) return record;
  return { ...record, changes: auditChanges(record.registryMutations, record.filesystemMutations ?? []) };
}

/** Appends one line or nothing: a write cut short (a full disk) is cut back off, so no torn line joins the next
 * record. */
function appendWholeLine(file: string, line: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'a');
  try {
    const size = fstatSync(fd).size;
    try {
      writeFileSync(fd, line);
    } catch (error) {
      try {
        ftruncateSync(fd, size);
      } catch {
        // the write error is the one to report
      }
      throw error;
    }
  } finally {
    closeSync(fd);
  }
}
