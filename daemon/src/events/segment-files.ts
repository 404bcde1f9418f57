import { closeSync, fstatSync, ftruncateSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parseCursor, type EventEnvelope } from '@packer/core/contract';

/** One NDJSON segment file of the event log, named after the seq of its first record. */
export interface SegmentInfo {
  path: string;
  firstSeq: number;
  /** Seq of the last record held; `firstSeq - 1` while the segment is empty. */
  lastSeq: number;
  bytes: number;
}

/** An event read back from a segment, with its seq already parsed out of the cursor. */
export interface StoredEvent {
  seq: number;
  event: EventEnvelope;
}

const SEGMENT_NAME = /^segment-(\d+)\.ndjson$/;
// Sixteen digits keep `ls` order equal to seq order far beyond any realistic log; listing still sorts numerically.
const SEQ_DIGITS = 16;

export function segmentFileName(firstSeq: number): string {
  return `segment-${String(firstSeq).padStart(SEQ_DIGITS, '0')}.ndjson`;
}

/** Segment files in `dir`, oldest first, sizes and last seqs not yet known. */
export function listSegmentFiles(dir: string): { path: string; firstSeq: number }[] {
  const segments: { path: string; firstSeq: number }[] = [];
  for (const name of readdirSync(dir)) {
    const match = SEGMENT_NAME.exec(name);
    if (match?.[1] !== undefined) segments.push({ path: join(dir, name), firstSeq: Number(match[1]) });
  }
  return segments.sort((a, b) => a.firstSeq - b.firstSeq);
}

/** Parses one NDJSON line into a stored event, or undefined when it is not a well-formed record. */
export function parseRecord(line: string): StoredEvent | undefined {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof event !== 'object' || event === null) return undefined;
  const cursor = (event as { cursor?: unknown }).cursor;
  if (typeof cursor !== 'string' || !/^\d+\.\d+$/.test(cursor)) return undefined;
  return { seq: parseCursor(cursor).seq, event: event as EventEnvelope };
}

export interface SegmentScan {
  records: StoredEvent[];
  /** Bytes of the well-formed prefix: everything after it is a torn or corrupt tail. */
  validBytes: number;
  /** Size of the file as read. */
  totalBytes: number;
  /** Lines that were not well-formed records (in the middle of a file; a torn tail is not counted here). */
  corruptLines: number;
}

/**
 * Reads every record of a segment. A record is only whole once its newline is written, so a final chunk
 * without one (a crash mid-append) is excluded from `validBytes`, as are malformed lines at the very end.
 */
export function scanSegment(path: string): SegmentScan {
  const buffer = readFileSync(path);
  const records: StoredEvent[] = [];
  let corruptLines = 0;
  let pendingCorrupt = 0;
  let validBytes = 0;
  let start = 0;
  for (let newline = buffer.indexOf(0x0a, start); newline !== -1; newline = buffer.indexOf(0x0a, start)) {
    const record = parseRecord(buffer.toString('utf8', start, newline));
    start = newline + 1;
    if (record === undefined) {
      pendingCorrupt += 1;
      continue;
    }
    // Corrupt lines followed by a good record are damage in the middle, not a torn tail.
    corruptLines += pendingCorrupt;
    pendingCorrupt = 0;
    records.push(record);
    validBytes = start;
  }
  return { records, validBytes, totalBytes: buffer.length, corruptLines };
}

// The log writes `cursor` as the first field, so a record's seq can be read without parsing the whole line.
const CURSOR_PREFIX = /^\{"cursor":"\d+\.(\d+)"/;

/** Where the last page of a segment ended: every record before `offset` has a seq of at most `seq`. */
const resumePoints = new Map<string, { seq: number; offset: number }>();
const CHUNK_BYTES = 256 * 1024;

/**
 * Records of one segment with seq > `afterSeq`, at most `limit`. Reads in chunks from where the previous page
 * of the same segment ended, so paging through a segment costs O(page), not O(segment) per page.
 */
export function readSegmentAfter(path: string, afterSeq: number, limit: number): StoredEvent[] {
  const hint = resumePoints.get(path);
  let offset = hint && hint.seq <= afterSeq ? hint.offset : 0;
  const records: StoredEvent[] = [];
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    let carry = Buffer.alloc(0);
    let carryStart = offset;
    while (offset < size && records.length < limit) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, size - offset));
      const read = readSync(fd, chunk, 0, chunk.length, offset);
      if (read === 0) break;
      offset += read;
      const buffer = carry.length ? Buffer.concat([carry, chunk.subarray(0, read)]) : chunk.subarray(0, read);
      let start = 0;
      for (
        let newline = buffer.indexOf(0x0a, start);
        newline !== -1 && records.length < limit;
        newline = buffer.indexOf(0x0a, start)
      ) {
        const peeked = CURSOR_PREFIX.exec(buffer.toString('utf8', start, Math.min(newline, start + 64)))?.[1];
        if (peeked === undefined || Number(peeked) > afterSeq) {
          const record = parseRecord(buffer.toString('utf8', start, newline));
          if (record !== undefined && record.seq > afterSeq) {
            records.push(record);
            resumePoints.set(path, { seq: record.seq, offset: carryStart + newline + 1 });
          }
        }
        start = newline + 1;
      }
      carry = Buffer.from(buffer.subarray(start));
      carryStart += start;
    }
  } finally {
    closeSync(fd);
  }
  return records;
}

/** Forgets resume points of segments that were deleted or rewritten. */
export function forgetSegment(path: string): void {
  resumePoints.delete(path);
}

/** Cuts a segment back to `bytes`, so the next append starts on a fresh line. */
export function truncateSegment(path: string, bytes: number): void {
  forgetSegment(path);
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
}
