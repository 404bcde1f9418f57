import { closeSync, openSync, readSync, statSync, truncateSync } from 'node:fs';

// The on-disk header of an LMDB data file as lmdb-js 3 writes it (its fork of LMDB 0.9, data version 2): two meta
// pages at the start, each a 24-byte page header (page number, txnid, pad, flags, lower, upper) then MDB_meta.
const PAGE_HEADER = 24;
const P_META = 0x08;
const MAGIC = 0xbeefc0de;
const DATA_VERSION = 2;
const META = { magic: 0, version: 4, pageSize: 24, lastPage: 120, txnid: 128, end: 136 } as const;
// A commit can free pages it allocated at the end of the file before writing them: the file then ends a few
// pages short of the meta's last page, and those pages are never read. Anything shorter than this was cut.
const TAIL_SLACK_PAGES = 16;

interface Meta {
  pageSize: number;
  lastPage: number;
  txnid: bigint;
}

/**
 * Why an LMDB data file must not be opened, or undefined when it may be. LMDB trusts its file: lmdb-js crashes the
 * process (SIGSEGV) on a file whose meta pages are garbage and reads past the end of a truncated one (SIGBUS), so
 * both are checked here first. A short tail within the slack above is zero-filled (it holds only freed pages).
 * A missing or empty file is fine: LMDB creates it.
 */
export function lmdbFileProblem(file: string): string | undefined {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : `cannot stat it: ${String(error)}`;
  }
  if (size === 0) return undefined;
  const fd = openSync(file, 'r');
  let needed: number;
  try {
    const first = readMeta(fd, 0);
    if (typeof first === 'string') return `first meta page: ${first}`;
    if (size < 2 * first.pageSize) return `only ${size} bytes, shorter than its two meta pages`;
    const second = readMeta(fd, first.pageSize);
    if (typeof second === 'string') return `second meta page: ${second}`;
    if (second.pageSize !== first.pageSize) return 'its meta pages disagree on the page size';
    const current = second.txnid > first.txnid ? second : first;
    needed = (current.lastPage + 1) * current.pageSize;
    if (size >= needed) return undefined;
    if (needed - size > TAIL_SLACK_PAGES * current.pageSize) return `truncated: ${size} bytes of ${needed}`;
  } finally {
    closeSync(fd);
  }
  // Extending (never shrinking) only zero-fills pages that hold nothing.
  try {
    truncateSync(file, needed);
  } catch (error) {
    return `its last ${needed - size} bytes are missing and could not be zero-filled: ${String(error)}`;
  }
  return undefined;
}

function readMeta(fd: number, offset: number): Meta | string {
  const page = Buffer.alloc(PAGE_HEADER + META.end);
  if (readSync(fd, page, 0, page.length, offset) < page.length) return 'cut short';
  if ((page.readUInt16LE(18) & P_META) === 0) return 'not a meta page';
  const meta = page.subarray(PAGE_HEADER);
  if (meta.readUInt32LE(META.magic) !== MAGIC) return 'not an LMDB file';
  if ((meta.readUInt32LE(META.version) & 0xffff) !== DATA_VERSION)
    return `data version ${meta.readUInt32LE(META.version) & 0xffff}, expected ${DATA_VERSION}`;
  const pageSize = meta.readUInt32LE(META.pageSize);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `page size ${pageSize}`;
  const lastPage = Number(meta.readBigUInt64LE(META.lastPage));
  if (!Number.isSafeInteger(lastPage) || lastPage < 1) return `last page ${lastPage}`;
  return { pageSize, lastPage, txnid: meta.readBigUInt64LE(META.txnid) };
}
