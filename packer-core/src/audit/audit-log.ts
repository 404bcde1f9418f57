import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StorageWarning } from '../contract/methods.js';
import type { AuditRecord } from '../contract/mutation-schema.js';
import { WriteHealth } from '../fs/write-health.js';
import { boundedAuditRecord } from './audit-record.js';
import { linesBackward, type LineAt, type ReadCost } from './lines-backward.js';

// Records held in memory while the file refuses them; past this the oldest are given up (and counted).
const MAX_PENDING = 1000;
// How far back `append` looks for a record of the same operation (recovery re-running a commit logs it once).
const DUPLICATE_WINDOW = 50;

/** One page of the log, newest page first, records oldest first within it. */
export interface AuditPage {
  items: AuditRecord[];
  /** Records matching the filter (or all), over all pages. */
  total: number;
  /** Where the next (older) page ends: pass it as `before`. Absent on the oldest page. */
  before?: number;
}

/** A record as stored: its number in the log (1 for the first) ahead of the record itself. */
type StoredRecord = AuditRecord & { seq?: number };

/**
 * Append-only NDJSON audit log in `.packer/audit.ndjson`: one bounded record per applied or refused mutation
 * (see `boundedAuditRecord`). Read from the end: a page costs what it holds, never the whole file. Each line
 * carries its number in the log (`seq`), so the total comes from the last line alone.
 */
export class AuditLog {
  readonly file: string;
  /** What reading the file cost so far (bytes, lines): a page reads about a page. */
  readonly readCost: ReadCost = { bytes: 0, lines: 0 };
  private pending: string[] = [];
  private dropped = 0;
  private lastSeq: number | undefined;
  private readonly health = new WriteHealth('audit-log');

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'audit.ndjson');
  }

  /**
   * Appends a record, bounded; a record whose operation is already logged (recovery re-running) is skipped.
   * Never throws: the record describes an outcome already decided (a commit happened, or a refusal is about to be
   * thrown), so a file that cannot be written must not change that outcome. Such records are kept in memory,
   * served by `page`, written once the file takes them again (`flush`), and reported by `writeProblem`.
   */
  append(input: AuditRecord): void {
    const record = boundedAuditRecord(input);
    if (record.result === 'applied' && this.alreadyApplied(record.operationId)) return;
    const seq = this.newestSeq() + 1;
    this.lastSeq = seq;
    const { time, ...rest } = record;
    this.pending.push(JSON.stringify({ time, seq, ...rest }) + '\n');
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

  /**
   * The newest `limit` records ending before byte `before` (the file's end and the records still in memory when
   * absent), oldest first. Without a filter this reads the page and nothing more; with `operationId` it reads
   * every line but parses only that operation's.
   */
  page(options: { limit: number; before?: number | undefined; operationId?: string | undefined }): AuditPage {
    const { limit, operationId } = options;
    const newestFirst: AuditRecord[] = [];
    let matching = 0;
    let pageStart = 0;
    let older = false;
    const before = options.before ?? Number.POSITIVE_INFINITY;
    // A filter counts its matches over the whole log (the total spans every page), so it reads from the end.
    this.scan(operationId === undefined ? options.before : undefined, (line) => {
      if (operationId !== undefined && !line.text.includes(operationId)) return true;
      const record = this.parse(line.text);
      if (!record || (operationId !== undefined && record.operationId !== operationId)) return true;
      matching++;
      if (line.start >= before) return true;
      if (newestFirst.length < limit) {
        newestFirst.push(stripSeq(record));
        pageStart = line.start;
        return true;
      }
      older = true;
      // Unfiltered, one record past the page is all there is to know.
      return operationId !== undefined;
    });
    const total = operationId === undefined ? this.newestSeq() : matching;
    return { items: newestFirst.reverse(), total, ...(older ? { before: pageStart } : {}) };
  }

  /** Records oldest first (all of them, or the newest `limit`); a torn last line (crash mid-append) is skipped. */
  list(options: { limit?: number; operationId?: string } = {}): AuditRecord[] {
    return this.page({ limit: options.limit ?? Number.MAX_SAFE_INTEGER, operationId: options.operationId }).items;
  }

  private alreadyApplied(operationId: string): boolean {
    let seen = 0;
    let found = false;
    this.scan(undefined, (line) => {
      if (++seen > DUPLICATE_WINDOW) return false;
      if (!line.text.includes(operationId)) return true;
      const record = this.parse(line.text);
      found = record?.operationId === operationId && record.result === 'applied';
      return !found;
    });
    return found;
  }

  /** The number of the newest record: from the last line, or (a log written before records were numbered) a count. */
  private newestSeq(): number {
    if (this.lastSeq !== undefined) return this.lastSeq;
    let newest: number | undefined;
    let count = 0;
    this.scan(undefined, (line) => {
      const record = this.parse(line.text);
      if (!record) return true;
      if (record.seq !== undefined) {
        newest = record.seq + count;
        return false;
      }
      count++;
      return true;
    });
    this.lastSeq = newest ?? count;
    return this.lastSeq;
  }

  /**
   * Visits the lines ending before `before`, newest first: the records still in memory (they will land after the
   * file's end, at the offsets given), then the file's from its end. Stops when `visit` returns false.
   */
  private scan(before: number | undefined, visit: (line: LineAt) => boolean): void {
    const fd = existsSync(this.file) ? openSync(this.file, 'r') : undefined;
    try {
      const size = fd === undefined ? 0 : fstatSync(fd).size;
      const end = before ?? Number.POSITIVE_INFINITY;
      const inMemory: LineAt[] = [];
      let offset = size;
      for (const text of this.pending) {
        inMemory.push({ text: text.slice(0, -1), start: offset });
        offset += Buffer.byteLength(text);
      }
      for (let index = inMemory.length - 1; index >= 0; index--) {
        const line = inMemory[index]!;
        if (line.start >= end) continue;
        if (!visit(line)) return;
      }
      if (fd === undefined) return;
      for (const line of linesBackward(fd, Math.min(end, size), this.readCost)) if (!visit(line)) return;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  private parse(text: string): StoredRecord | undefined {
    try {
      return JSON.parse(text) as StoredRecord;
    } catch {
      // torn write from a crash: ignore
      return undefined;
    }
  }
}

/** The record as the contract has it: applied records written before `changes` existed get theirs when read. */
function stripSeq(stored: StoredRecord): AuditRecord {
  const { seq: _seq, ...record } = stored;
  return record.changes || record.result !== 'applied' || !record.registryMutations
    ? record
    : boundedAuditRecord(record);
}

/** Appends one line or nothing: a write cut short (a full disk) is cut back off, so no torn line joins the next
 * record. */
function appendWholeLine(file: string, line: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'a+');
  try {
    const size = fstatSync(fd).size;
    // A line torn by a crash has no newline: the next record starts on a line of its own.
    const torn = size > 0 && !endsWithNewline(fd, size);
    try {
      writeFileSync(fd, torn ? '\n' + line : line);
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

function endsWithNewline(fd: number, size: number): boolean {
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] === 0x0a;
}
