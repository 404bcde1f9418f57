import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { withErrorPath } from '../fs/error-path.js';

const CHUNK = 1 << 20;

/**
 * One cache segment: an append-only file of output bytes. Appends reserve their range first and then
 * write at that position, so concurrent appends of one build never interleave.
 */
export class SegmentFile {
  private handle: Promise<FileHandle> | undefined;

  constructor(
    readonly file: string,
    readonly id: number,
    public size: number,
    private readonly mode: 'append' | 'read',
  ) {}

  /** Appends bytes; resolves with their offset. */
  async append(bytes: Uint8Array): Promise<number> {
    const offset = this.reserve(bytes.length);
    await writeAll(await this.open(), bytes, offset, this.file);
    return offset;
  }

  /** Appends a whole file, hashing it on the way; resolves with its offset, size and sha256. */
  async appendFile(file: string): Promise<{ offset: number; size: number; digest: string }> {
    const { size } = await stat(file);
    const offset = this.reserve(size);
    const source = await open(file, 'r');
    const hash = createHash('sha256');
    try {
      await copy(source, 0, await this.open(), offset, size, this.file, (chunk) => hash.update(chunk));
    } finally {
      await source.close();
    }
    return { offset, size, digest: hash.digest('hex') };
  }

  /** Appends `size` bytes of another segment starting at `offset`; resolves with the new offset. */
  async copyRange(from: SegmentFile, offset: number, size: number): Promise<number> {
    const target = this.reserve(size);
    await copy(await from.open(), offset, await this.open(), target, size, this.file);
    return target;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle).close();
  }

  private reserve(size: number): number {
    const offset = this.size;
    this.size += size;
    return offset;
  }

  private open(): Promise<FileHandle> {
    this.handle ??= open(this.file, this.mode === 'append' ? 'wx' : 'r');
    return this.handle;
  }
}

async function copy(
  source: FileHandle,
  from: number,
  target: FileHandle,
  to: number,
  size: number,
  targetFile: string,
  onChunk?: (chunk: Buffer) => void,
): Promise<void> {
  const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, size)));
  for (let done = 0; done < size;) {
    const { bytesRead } = await source.read(buffer, 0, Math.min(buffer.length, size - done), from + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file after ${done} of ${size} bytes`);
    const chunk = buffer.subarray(0, bytesRead);
    onChunk?.(chunk);
    await writeAll(target, chunk, to + done, targetFile);
    done += bytesRead;
  }
}

async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number, file: string): Promise<void> {
  try {
    for (let done = 0; done < bytes.length;) {
      const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
      done += bytesWritten;
    }
  } catch (error) {
    throw withErrorPath(error, file);
  }
}
