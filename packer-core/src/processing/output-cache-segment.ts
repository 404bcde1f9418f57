import { SegmentFile } from '../packs/segment-file.js';

/**
 * Outputs smaller than this are gathered and appended in one write once this many bytes wait (or at `flush`):
 * a write per output costs a thread-pool round trip each, which a build of 10k small outputs feels.
 */
const WRITE_BATCH_BYTES = 1 << 20;

/** Where an output's bytes went. */
export interface Placed {
  segment: number;
  offset: number;
}

/**
 * The cache segment a build appends its outputs to (`segments/<n>.seg`, created on the first append). Every
 * append's range is known at once; small outputs are batched and reach the file by the next `flush` at the latest.
 */
export class BuildSegment {
  private file: SegmentFile | undefined;
  /** Small outputs not yet written: they follow the file's reserved bytes in this order. */
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  /** Writes started and not yet done, and the first one that failed (rethrown by every later `flush`). */
  private readonly writing = new Set<Promise<void>>();
  private writeError: unknown;
  /** Whole-file appends whose range is not reserved yet: small outputs wait for them (see appendBytes). */
  private readonly fileAppends = new Set<Promise<unknown>>();

  constructor(
    private readonly id: number,
    private readonly pathOf: (id: number) => string,
  ) {}

  /** The segment's number once something was appended. */
  get segment(): number | undefined {
    return this.file?.id;
  }

  /** Bytes reserved so far, written or batched. */
  get size(): number {
    return (this.file?.size ?? 0) + this.batchBytes;
  }

  /** Appends bytes (the caller must not change them afterwards). */
  async appendBytes(bytes: Uint8Array): Promise<Placed> {
    // A file append reserves its range only after a stat: the batch's offsets are known once it has.
    while (this.fileAppends.size > 0) await Promise.allSettled(this.fileAppends);
    const file = this.open();
    if (bytes.length >= WRITE_BATCH_BYTES) {
      this.startBatchWrite();
      return { segment: file.id, offset: await file.append(bytes) };
    }
    // The batch is appended (and so reserved) before anything else is: its bytes follow the file's reserved ones.
    const offset = file.size + this.batchBytes;
    this.batch.push(bytes);
    this.batchBytes += bytes.length;
    if (this.batchBytes >= WRITE_BATCH_BYTES) await this.flush();
    return { segment: file.id, offset };
  }

  /** Appends a whole file, hashing it on the way. */
  async appendFile(path: string): Promise<Placed & { size: number; digest: string }> {
    const file = this.open();
    this.startBatchWrite();
    const appending = file.appendFile(path);
    this.fileAppends.add(appending);
    try {
      const copied = await appending;
      return { segment: file.id, offset: copied.offset, size: copied.size, digest: copied.digest };
    } finally {
      this.fileAppends.delete(appending);
    }
  }

  /** Appends `size` bytes of another segment from `offset` (compaction). */
  async copyRange(from: SegmentFile, offset: number, size: number): Promise<Placed> {
    const file = this.open();
    this.startBatchWrite();
    return { segment: file.id, offset: await file.copyRange(from, offset, size) };
  }

  /** Resolves once every appended output's bytes are written (rejects if a batched write failed). */
  async flush(): Promise<void> {
    this.startBatchWrite();
    while (this.writing.size > 0) await Promise.allSettled(this.writing);
    const failed = this.writeError;
    if (failed !== undefined) throw failed instanceof Error ? failed : new Error(String(failed));
  }

  /** Writes what is batched and closes the file; says which segment it was and its size, if one was made. */
  async close(): Promise<{ segment: number; size: number } | undefined> {
    const file = this.file;
    if (!file) return undefined;
    await this.flush();
    await file.close();
    return { segment: file.id, size: file.size };
  }

  private open(): SegmentFile {
    this.file ??= new SegmentFile(this.pathOf(this.id), this.id, 0, 'append');
    return this.file;
  }

  /** Appends the batch: `SegmentFile.append` reserves its range at once, so the offsets handed out hold. */
  private startBatchWrite(): void {
    if (this.batchBytes === 0 || !this.file) return;
    const bytes = this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch, this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    const write: Promise<void> = this.file.append(bytes).then(
      () => undefined,
      (error: unknown) => {
        this.writeError ??= error;
      },
    );
    this.writing.add(write);
    void write.finally(() => this.writing.delete(write));
  }
}
