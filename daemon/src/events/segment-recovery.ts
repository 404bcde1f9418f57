import { parseCursor } from '@packer/core/contract';
import { listSegmentFiles, scanSegment, truncateSegment, type SegmentInfo, type StoredEvent } from './segment-files.js';

/** What `open` found and repaired; surfaced so the daemon can report it as a diagnostic. */
export interface EventLogRecovery {
  /** Bytes of a torn or corrupt end of the newest segment that were cut off (a crash mid-append). */
  truncatedBytes: number;
  /** Malformed lines found elsewhere and skipped. */
  corruptLines: number;
}

/** What a log directory holds, as read back at open. */
export interface RecoveredSegments {
  /** The segments on disk, oldest first, with their sizes and last seqs. */
  segments: SegmentInfo[];
  /** Seq of the newest event held; 0 for a log that never held one. */
  lastSeq: number;
  /** The highest generation that numbered any record read; 0 when none was. */
  maxGeneration: number;
  recovery: EventLogRecovery;
}

/**
 * One pass over every held segment: recovers the last seq and the highest generation seen, and hands each record,
 * oldest first, to `onRecord` (which rebuilds the tail and the operations left without a terminal event).
 * A torn or corrupt end of the newest segment (a crash mid-append) is cut off; bad lines elsewhere are skipped.
 */
export function recoverSegments(dir: string, onRecord: (record: StoredEvent) => void): RecoveredSegments {
  const recovered = { lastSeq: 0, maxGeneration: 0, truncatedBytes: 0, corruptLines: 0 };
  const files = listSegmentFiles(dir);
  const segments = files.map((file, index): SegmentInfo => {
    const scan = scanSegment(file.path);
    const isNewest = index === files.length - 1;
    let bytes = scan.totalBytes;
    if (isNewest && scan.validBytes < scan.totalBytes) {
      truncateSegment(file.path, scan.validBytes);
      recovered.truncatedBytes = scan.totalBytes - scan.validBytes;
      bytes = scan.validBytes;
    } else if (scan.validBytes < scan.totalBytes) {
      recovered.corruptLines += 1;
    }
    recovered.corruptLines += scan.corruptLines;
    for (const record of scan.records) {
      recovered.maxGeneration = Math.max(recovered.maxGeneration, parseCursor(record.event.cursor).generation);
      onRecord(record);
    }
    const lastSeq = scan.records.at(-1)?.seq ?? file.firstSeq - 1;
    recovered.lastSeq = Math.max(recovered.lastSeq, lastSeq);
    return { path: file.path, firstSeq: file.firstSeq, lastSeq, bytes };
  });
  return {
    segments,
    lastSeq: recovered.lastSeq,
    maxGeneration: recovered.maxGeneration,
    recovery: { truncatedBytes: recovered.truncatedBytes, corruptLines: recovered.corruptLines },
  };
}
