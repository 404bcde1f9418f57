import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { PackEntryInfo, PackManifest, VerifyProblem, VerifyResult } from '../contract/build-schema.js';
import { HEADER_BYTES, PackFormatError, layoutPack, parseHeader, parseTable, RECORD_BYTES } from './pack-format.js';

const CHUNK = 1 << 20;

/**
 * Verifies a pack file in one sequential pass: header digest, table digest, every entry's digest, zero
 * padding, then the manifest (entries and whole-file digest). Reports the first problem in file order,
 * naming the entry when one is to blame. `labels` only name things in the result.
 */
export async function verifyPack(
  absolute: string,
  manifest: PackManifest | undefined,
  labels: { pack: string; file: string },
): Promise<VerifyResult> {
  const result = (fields: Partial<VerifyResult>, problem?: VerifyProblem): VerifyResult => ({
    pack: labels.pack,
    file: labels.file,
    ok: !problem,
    bytes: 0,
    entries: 0,
    ...fields,
    ...(problem ? { problem } : {}),
  });
  let handle: FileHandle;
  try {
    handle = await open(absolute, 'r');
  } catch (error) {
    return result(
      {},
      {
        section: 'file',
        message: `Cannot open ${labels.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
      },
    );
  }
  try {
    const { size } = await handle.stat();
    const header = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, 0);
    let entries: PackEntryInfo[];
    let parsed: ReturnType<typeof parseHeader>;
    try {
      parsed = parseHeader(header.subarray(0, bytesRead), size);
    } catch (error) {
      return result({ bytes: size }, { section: 'header', message: (error as Error).message });
    }
    const table = Buffer.alloc(parsed.tableLength);
    await handle.read(table, 0, parsed.tableLength, parsed.tableOffset);
    try {
      entries = parseTable(table, parsed);
    } catch (error) {
      if (!(error instanceof PackFormatError)) throw error;
      const index = error.entryIndex ?? (manifest ? damagedRecord(table, manifest) : undefined);
      return result(
        { bytes: size, entries: parsed.entryCount },
        { section: 'table', message: error.message, ...entryRef(manifest?.entries, index) },
      );
    }
    const whole = createHash('sha256').update(header).update(table);
    const scan = new SequentialScan(handle, whole);
    let position = HEADER_BYTES + parsed.tableLength;
    for (let index = 0; index <= entries.length; index++) {
      const entry = entries[index];
      const paddingEnd = entry ? entry.offset : parsed.fileLength;
      if (!(await scan.isZero(position, paddingEnd - position))) {
        const after = index > 0 ? entryRef(entries, index - 1) : {};
        return result(
          { bytes: size, entries: entries.length },
          {
            section: 'padding',
            message: `Non-zero padding bytes ${index > 0 ? `after entry ${entries[index - 1]!.name}` : 'before the first entry'}.`,
            ...after,
          },
        );
      }
      if (!entry) break;
      const digest = await scan.digest(entry.offset, entry.size);
      if (digest !== entry.digest) {
        return result(
          { bytes: size, entries: entries.length },
          {
            section: 'entry',
            message: `Entry ${entry.name} (${entry.id}) does not match its digest.`,
            ...entryRef(entries, index),
            expected: entry.digest,
            actual: digest,
          },
        );
      }
      position = entry.offset + entry.size;
    }
    const digest = whole.digest('hex');
    const fields = { digest, bytes: size, entries: entries.length };
    if (!manifest) return result(fields, { section: 'manifest', message: `No valid manifest beside ${labels.file}.` });
    const mismatch = entries.findIndex((entry, index) => !sameEntry(entry, manifest.entries[index]));
    if (mismatch !== -1 || manifest.entries.length !== entries.length) {
      const index = mismatch === -1 ? entries.length : mismatch;
      return result(fields, {
        section: 'manifest',
        message: 'The manifest lists different entries than the pack holds (a stale or foreign manifest).',
        ...entryRef(entries[index] ? entries : manifest.entries, index),
      });
    }
    if (manifest.digest !== digest || manifest.bytes !== size) {
      return result(fields, {
        section: 'manifest',
        message: 'The pack digest differs from the manifest.',
        expected: manifest.digest,
        actual: digest,
      });
    }
    return result(fields);
  } finally {
    await handle.close();
  }
}

/** Reads consecutive ranges of a file, feeding every byte into the whole-file hash. */
class SequentialScan {
  private readonly buffer = Buffer.allocUnsafe(CHUNK);
  constructor(
    private readonly handle: FileHandle,
    private readonly whole: Hash,
  ) {}

  async digest(start: number, length: number): Promise<string> {
    const hash = createHash('sha256');
    await this.each(start, length, (chunk) => hash.update(chunk));
    return hash.digest('hex');
  }

  async isZero(start: number, length: number): Promise<boolean> {
    let zero = true;
    await this.each(start, length, (chunk) => (zero &&= chunk.every((byte) => byte === 0)));
    return zero;
  }

  private async each(start: number, length: number, onChunk: (chunk: Buffer) => unknown): Promise<void> {
    for (let done = 0; done < length;) {
      const { bytesRead } = await this.handle.read(this.buffer, 0, Math.min(CHUNK, length - done), start + done);
      if (bytesRead === 0) throw new Error('unexpected end of file');
      const chunk = this.buffer.subarray(0, bytesRead);
      this.whole.update(chunk);
      onChunk(chunk);
      done += bytesRead;
    }
  }
}

// The first table record that differs from what the manifest's entries would lay out.
function damagedRecord(table: Buffer, manifest: PackManifest): number | undefined {
  const expected = layoutPack(manifest.entries).indexBytes.subarray(HEADER_BYTES, HEADER_BYTES + table.length);
  const records = manifest.entries.length * RECORD_BYTES;
  for (let at = 0; at < Math.min(table.length, expected.length); at++) {
    if (table[at] === expected[at]) continue;
    if (at < records) return Math.floor(at / RECORD_BYTES);
    // In the string pool: find the record whose strings cover this byte.
    const poolOffset = at - records;
    for (let index = 0; index < manifest.entries.length; index++) {
      const first = expected.readUInt32LE(index * RECORD_BYTES + 48);
      const last = expected.readUInt32LE(index * RECORD_BYTES + 80) + expected.readUInt32LE(index * RECORD_BYTES + 84);
      if (poolOffset >= first && poolOffset < last) return index;
    }
    return undefined;
  }
  return undefined;
}

function entryRef(
  entries: readonly PackEntryInfo[] | undefined,
  index: number | undefined,
): Pick<VerifyProblem, 'entry'> {
  const entry = index === undefined ? undefined : entries?.[index];
  return entry && index !== undefined ? { entry: { index, id: entry.id, name: entry.name, path: entry.path } } : {};
}

function sameEntry(a: PackEntryInfo, b: PackEntryInfo | undefined): boolean {
  return (
    !!b &&
    a.id === b.id &&
    a.name === b.name &&
    a.path === b.path &&
    a.digest === b.digest &&
    a.size === b.size &&
    a.offset === b.offset
  );
}
