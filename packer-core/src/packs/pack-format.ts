import { createHash } from 'node:crypto';
import { PACK_FORMAT_VERSION, type EntryMetadata, type PackEntryInfo } from '../contract/build-schema.js';

// Layout constants; docs/pack-format.md is the normative description and must change with them.
export const PACK_MAGIC = Buffer.from([0x89, 0x50, 0x4b, 0x52, 0x0d, 0x0a, 0x1a, 0x0a]); // "\x89PKR\r\n\x1a\n"
export const HEADER_BYTES = 128;
export const RECORD_BYTES = 96;
export const PACK_ALIGNMENT = 16;

/** What the index (header + table) says about a pack. */
export interface PackIndex {
  version: number;
  entryCount: number;
  tableOffset: number;
  tableLength: number;
  dataOffset: number;
  fileLength: number;
  /** sha256 of header bytes 0..96 (which include the table digest): one fingerprint of the whole index. */
  headerDigest: string;
  entries: PackEntryInfo[];
}

/** A damaged index, located in the header or in one table record. */
export class PackFormatError extends Error {
  constructor(
    readonly section: 'header' | 'table',
    message: string,
    readonly entryIndex?: number,
  ) {
    super(message);
    this.name = 'PackFormatError';
  }
}

export const alignUp = (value: number): number => Math.ceil(value / PACK_ALIGNMENT) * PACK_ALIGNMENT;

/** Entry fields the layout needs; offsets are assigned here. */
export type LayoutEntry = Omit<PackEntryInfo, 'offset'>;

/**
 * Lays out a pack: entries sorted by id, data 16-byte aligned after the index. Returns the index bytes
 * (header, table, zero padding up to the first entry) and the entries with their offsets. Pure and
 * deterministic: the same entries always give the same bytes.
 */
export function layoutPack(input: readonly LayoutEntry[]): { indexBytes: Buffer; index: PackIndex } {
  const sorted = isSortedById(input) ? input : [...input].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Strings are measured first and written once into one pool (a buffer per string costs more than the rest at 25,000
  // entries).
  const strings: string[] = new Array<string>(sorted.length * 5);
  const lengths = new Uint32Array(sorted.length * 5);
  let poolLength = 0;
  for (let index = 0; index < sorted.length; index++) {
    const entry = sorted[index]!;
    const at = index * 5;
    strings[at] = entry.id;
    strings[at + 1] = entry.name;
    strings[at + 2] = entry.path;
    strings[at + 3] = entry.kind;
    strings[at + 4] = canonicalMetadata(entry.metadata);
    for (let field = at; field < at + 5; field++)
      poolLength += lengths[field] = Buffer.byteLength(strings[field]!, 'utf8');
  }
  const recordsLength = sorted.length * RECORD_BYTES;
  const tableLength = recordsLength + poolLength;
  const dataOffset = alignUp(HEADER_BYTES + tableLength);
  const indexBytes = Buffer.alloc(dataOffset);
  const table = indexBytes.subarray(HEADER_BYTES, HEADER_BYTES + tableLength);
  let poolAt = 0;
  let cursor = dataOffset;
  const entries: PackEntryInfo[] = new Array<PackEntryInfo>(sorted.length);
  for (let index = 0; index < sorted.length; index++) {
    const entry = sorted[index]!;
    const at = index * RECORD_BYTES;
    table.writeBigUInt64LE(BigInt(cursor), at);
    table.writeBigUInt64LE(BigInt(entry.size), at + 8);
    table.write(entry.digest, at + 16, 32, 'hex');
    for (let field = 0; field < 5; field++) {
      const length = lengths[index * 5 + field]!;
      table.writeUInt32LE(poolAt, at + 48 + field * 8);
      table.writeUInt32LE(length, at + 52 + field * 8);
      table.write(strings[index * 5 + field]!, recordsLength + poolAt, length, 'utf8');
      poolAt += length;
    }
    entries[index] = {
      id: entry.id,
      name: entry.name,
      path: entry.path,
      kind: entry.kind,
      size: entry.size,
      digest: entry.digest,
      metadata: entry.metadata,
      offset: cursor,
    };
    cursor = alignUp(cursor + entry.size);
  }
  const header = indexBytes.subarray(0, HEADER_BYTES);
  PACK_MAGIC.copy(header, 0);
  header.writeUInt32LE(PACK_FORMAT_VERSION, 8);
  header.writeUInt32LE(PACK_ALIGNMENT, 12);
  header.writeUInt32LE(sorted.length, 16);
  header.writeUInt32LE(RECORD_BYTES, 20);
  header.writeBigUInt64LE(BigInt(HEADER_BYTES), 24);
  header.writeBigUInt64LE(BigInt(tableLength), 32);
  header.writeBigUInt64LE(BigInt(dataOffset), 40);
  header.writeBigUInt64LE(BigInt(cursor), 48);
  sha256(table).copy(header, 64);
  const headerDigest = sha256(header.subarray(0, 96));
  headerDigest.copy(header, 96);
  return {
    indexBytes,
    index: {
      version: PACK_FORMAT_VERSION,
      entryCount: sorted.length,
      tableOffset: HEADER_BYTES,
      tableLength,
      dataOffset,
      fileLength: cursor,
      headerDigest: headerDigest.toString('hex'),
      entries,
    },
  };
}

function isSortedById(entries: readonly LayoutEntry[]): boolean {
  for (let index = 1; index < entries.length; index++) if (!(entries[index - 1]!.id < entries[index]!.id)) return false;
  return true;
}

/** Parses and checks a header (the first HEADER_BYTES of a pack). Throws PackFormatError('header'). */
export function parseHeader(header: Buffer, fileLength?: number): Omit<PackIndex, 'entries'> & { tableDigest: string } {
  if (header.length < HEADER_BYTES)
    throw new PackFormatError(
      'header',
      `The file is ${header.length} bytes, shorter than a pack header (${HEADER_BYTES}).`,
    );
  if (!header.subarray(0, 8).equals(PACK_MAGIC))
    throw new PackFormatError('header', 'The file does not start with the pack magic bytes; it is not a pack.');
  const headerDigest = sha256(header.subarray(0, 96));
  if (!headerDigest.equals(header.subarray(96, 128)))
    throw new PackFormatError('header', 'The header digest does not match the header bytes: the header is damaged.');
  const version = header.readUInt32LE(8);
  if (version !== PACK_FORMAT_VERSION)
    throw new PackFormatError(
      'header',
      `Pack format version ${version} is not supported (expected ${PACK_FORMAT_VERSION}).`,
    );
  const u64 = (at: number): number => Number(header.readBigUInt64LE(at));
  const parsed = {
    version,
    entryCount: header.readUInt32LE(16),
    tableOffset: u64(24),
    tableLength: u64(32),
    dataOffset: u64(40),
    fileLength: u64(48),
    headerDigest: headerDigest.toString('hex'),
    tableDigest: header.subarray(64, 96).toString('hex'),
  };
  const sane =
    header.readUInt32LE(12) === PACK_ALIGNMENT &&
    header.readUInt32LE(20) === RECORD_BYTES &&
    parsed.tableOffset === HEADER_BYTES &&
    parsed.dataOffset === alignUp(HEADER_BYTES + parsed.tableLength) &&
    parsed.tableLength >= parsed.entryCount * RECORD_BYTES &&
    parsed.fileLength >= parsed.dataOffset &&
    header.readBigUInt64LE(56) === 0n;
  if (!sane)
    throw new PackFormatError('header', 'The header fields are inconsistent (alignment, record size or offsets).');
  if (fileLength !== undefined && fileLength !== parsed.fileLength) {
    throw new PackFormatError(
      'header',
      `The header says the pack is ${parsed.fileLength} bytes, but the file is ${fileLength} bytes (truncated or extended).`,
    );
  }
  return parsed;
}

/** Parses the table (bytes tableOffset..tableOffset+tableLength) after checking its digest. Throws
 * PackFormatError('table'). */
export function parseTable(table: Buffer, header: ReturnType<typeof parseHeader>): PackEntryInfo[] {
  if (sha256(table).toString('hex') !== header.tableDigest)
    throw new PackFormatError(
      'table',
      'The entry table does not match its digest in the header: the table is damaged.',
    );
  const poolStart = header.entryCount * RECORD_BYTES;
  const entries: PackEntryInfo[] = [];
  let expectedOffset = header.dataOffset;
  for (let index = 0; index < header.entryCount; index++) {
    const at = index * RECORD_BYTES;
    const text = (field: number): string => {
      const start = table.readUInt32LE(at + 48 + field * 8);
      const length = table.readUInt32LE(at + 52 + field * 8);
      if (poolStart + start + length > table.length)
        throw new PackFormatError('table', `Entry ${index} names a string outside the table.`, index);
      return table.toString('utf8', poolStart + start, poolStart + start + length);
    };
    const offset = Number(table.readBigUInt64LE(at));
    const size = Number(table.readBigUInt64LE(at + 8));
    if (offset !== expectedOffset)
      throw new PackFormatError('table', `Entry ${index} starts at ${offset}, expected ${expectedOffset}.`, index);
    expectedOffset = alignUp(offset + size);
    let metadata: EntryMetadata;
    try {
      metadata = JSON.parse(text(4)) as EntryMetadata;
    } catch {
      throw new PackFormatError('table', `Entry ${index} has unreadable metadata.`, index);
    }
    entries.push({
      id: text(0),
      name: text(1),
      path: text(2),
      kind: text(3),
      offset,
      size,
      digest: table.toString('hex', at + 16, at + 48),
      metadata,
    });
  }
  if (expectedOffset !== header.fileLength)
    throw new PackFormatError(
      'table',
      `The entries end at ${expectedOffset}, but the header says the pack is ${header.fileLength} bytes.`,
    );
  return entries;
}

/** Metadata as JSON with sorted keys, so equal metadata gives equal bytes. */
export function canonicalMetadata(metadata: EntryMetadata): string {
  const keys = Object.keys(metadata);
  let sorted = true;
  for (let index = 1; index < keys.length && sorted; index++) sorted = keys[index - 1]! < keys[index]!;
  if (sorted) return JSON.stringify(metadata);
  return JSON.stringify(Object.fromEntries(Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}
