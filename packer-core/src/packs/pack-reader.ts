import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { PackEntryInfo } from '../contract/build-schema.js';
import { PackerError, toPackerError } from '../contract/errors.js';
import { HEADER_BYTES, PackFormatError, parseHeader, parseTable, type PackIndex } from './pack-format.js';

/**
 * Reads entries of one pack by asset id, output name or source path, touching only the index and the bytes
 * asked for: opening reads the header and the table, never the data. The index is checked against its
 * digests on open; `read` checks the entry's digest.
 */
export class PackReader {
  private readonly byRef = new Map<string, PackEntryInfo>();

  private constructor(
    private readonly handle: FileHandle,
    readonly file: string,
    readonly index: PackIndex,
  ) {
    // Ids, names and paths cannot collide with each other: ids start with "a_" and contain no "/", and a
    // name is a suffix of its path; still, ids win, then names, then paths.
    for (const entry of [...index.entries].reverse()) this.byRef.set(entry.path, entry);
    for (const entry of index.entries) this.byRef.set(entry.name, entry);
    for (const entry of index.entries) this.byRef.set(entry.id, entry);
  }

  /** Opens a pack. NOT_FOUND when the file is missing; PACK_CORRUPT with `data.section` when its index is damaged. */
  static async open(file: string): Promise<PackReader> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new PackerError('NOT_FOUND', `No pack file at ${file}.`, {
          path: file,
          hint: 'Build it with `packer build`.',
        });
      throw toPackerError(error);
    }
    try {
      return new PackReader(handle, file, await readIndex(handle));
    } catch (error) {
      await handle.close();
      if (error instanceof PackFormatError) {
        throw new PackerError('PACK_CORRUPT', `${file} is not a readable pack: ${error.message}`, {
          path: file,
          section: error.section,
          hint: 'Run `packer verify` for details, then rebuild.',
        });
      }
      throw toPackerError(error);
    }
  }

  get entries(): readonly PackEntryInfo[] {
    return this.index.entries;
  }

  /** The entry with this asset id, output name or project-relative source path. */
  find(ref: string): PackEntryInfo | undefined {
    return this.byRef.get(ref);
  }

  /** The bytes of one entry, checked against its digest (IO_ERROR on mismatch). */
  async read(ref: string): Promise<Buffer> {
    const entry = this.require(ref);
    const data = Buffer.alloc(entry.size);
    const { bytesRead } = await this.handle.read(data, 0, entry.size, entry.offset);
    const digest = createHash('sha256').update(data.subarray(0, bytesRead)).digest('hex');
    if (bytesRead !== entry.size || digest !== entry.digest) {
      throw new PackerError(
        'PACK_CORRUPT',
        `Entry ${entry.name} (${entry.id}) of ${this.file} does not match its digest.`,
        { path: this.file, entry: entry.id, hint: 'Run `packer verify`, then rebuild.' },
      );
    }
    return data;
  }

  /** A stream of one entry's bytes (for large entries; not digest-checked). */
  stream(ref: string): Readable {
    const entry = this.require(ref);
    if (entry.size === 0) return Readable.from([]);
    return createReadStream(this.file, { start: entry.offset, end: entry.offset + entry.size - 1 });
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  private require(ref: string): PackEntryInfo {
    const entry = this.find(ref);
    if (!entry)
      throw new PackerError(
        'NOT_FOUND',
        `Pack ${this.file} has no entry with id, name or path ${JSON.stringify(ref)}.`,
        { path: this.file, ref },
      );
    return entry;
  }
}

/** Reads and checks header and table from an open pack. Throws PackFormatError. */
export async function readIndex(handle: FileHandle): Promise<PackIndex> {
  const { size } = await handle.stat();
  const header = Buffer.alloc(HEADER_BYTES);
  const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, 0);
  const parsed = parseHeader(header.subarray(0, bytesRead), size);
  const table = Buffer.alloc(parsed.tableLength);
  await handle.read(table, 0, parsed.tableLength, parsed.tableOffset);
  return { ...parsed, entries: parseTable(table, parsed) };
}
