import { appendFileSync, closeSync, ftruncateSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { forgetSegment, segmentFileName, type SegmentInfo } from './segment-files.js';

export interface SegmentWriterOptions {
  /** A segment is closed and a new one started once the next line would take it past this size. */
  segmentBytes: number;
  /** Segments kept on disk, the current one included; older ones are deleted. */
  maxSegments: number;
  /** A rotated-out segment that could not be deleted. */
  onError: (error: unknown) => void;
}

/**
 * The write side of the log's segment files: appends each line to the newest segment, rotating by size and
 * deleting the oldest segments past `maxSegments`. Holds the list of segments on disk and the newest one's descriptor.
 */
export class SegmentWriter {
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #maxSegments: number;
  readonly #onError: (error: unknown) => void;
  readonly #segments: SegmentInfo[];
  #fd: number | undefined;

  /** Goes on appending to the newest of `segments` (as recovered at open), or starts one at `nextSeq` if none. */
  constructor(dir: string, segments: SegmentInfo[], nextSeq: number, options: SegmentWriterOptions) {
    this.#dir = dir;
    this.#segmentBytes = options.segmentBytes;
    this.#maxSegments = options.maxSegments;
    this.#onError = options.onError;
    this.#segments = segments;
    const newest = segments.at(-1);
    if (newest === undefined) this.#startSegment(nextSeq);
    else this.#fd = openSync(newest.path, 'a');
  }

  /** The segments on disk, oldest first. */
  get segments(): readonly SegmentInfo[] {
    return this.#segments;
  }

  /** Appends one line to the newest segment (rotating first when it is full), or throws leaving no partial line. */
  write(seq: number, line: string, size: number): void {
    let segment = this.#segments.at(-1);
    if (segment === undefined || (segment.bytes > 0 && segment.bytes + size > this.#segmentBytes))
      segment = this.#rotate(seq);
    this.#fd ??= openSync(segment.path, 'a');
    try {
      appendFileSync(this.#fd, line);
    } catch (error) {
      // Cut off any partial line so the next append does not land in the middle of it.
      try {
        ftruncateSync(this.#fd, segment.bytes);
      } catch {
        // The write error is the one worth reporting.
      }
      throw Object.assign(error as Error, { path: segment.path });
    }
    segment.bytes += size;
    segment.lastSeq = seq;
  }

  /** Closes the newest segment's descriptor. Never throws. */
  close(): void {
    if (this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch {
        // nothing more to save
      }
    }
    this.#fd = undefined;
  }

  #startSegment(firstSeq: number): SegmentInfo {
    const segment: SegmentInfo = {
      path: join(this.#dir, segmentFileName(firstSeq)),
      firstSeq,
      lastSeq: firstSeq - 1,
      bytes: 0,
    };
    const fd = openSync(segment.path, 'a');
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = fd;
    this.#segments.push(segment);
    return segment;
  }

  /** Starts a new segment; if the new file cannot be made, the current one stays in use and the error is thrown. */
  #rotate(firstSeq: number): SegmentInfo {
    const segment = this.#startSegment(firstSeq);
    while (this.#segments.length > this.#maxSegments) {
      const oldest = this.#segments.shift();
      if (oldest === undefined) break;
      try {
        unlinkSync(oldest.path);
        forgetSegment(oldest.path);
      } catch (error) {
        // The log no longer reads the file; a leftover only wastes space (and is picked up again at the next open).
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.#onError(error);
      }
    }
    return segment;
  }
}
