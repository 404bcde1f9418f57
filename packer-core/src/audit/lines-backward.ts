import { readSync } from 'node:fs';

/** What reading a log from its end cost: bytes read and lines handed out (tests assert a page reads a page). */
export interface ReadCost {
  bytes: number;
  lines: number;
}

/** One line of an NDJSON file and the byte offset it starts at (its newline excluded). */
export interface LineAt {
  readonly text: string;
  readonly start: number;
}

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * The lines of `fd` that end before byte `end`, newest first, read in 64 KiB chunks from the end: a caller that
 * stops after a page has read about a page, whatever the file's size. Empty lines are skipped.
 */
export function* linesBackward(fd: number, end: number, cost: ReadCost): Generator<LineAt> {
  let position = end;
  // Bytes of the line in progress: it began before the chunk just read.
  let carry = Buffer.alloc(0);
  while (position > 0) {
    const size = Math.min(CHUNK, position);
    position -= size;
    const chunk = Buffer.allocUnsafe(size);
    const read = readSync(fd, chunk, 0, size, position);
    cost.bytes += read;
    const data = carry.length > 0 ? Buffer.concat([chunk.subarray(0, read), carry]) : chunk.subarray(0, read);
    if (data.length === 0) break;
    let lineEnd = data.length;
    for (let index = data.lastIndexOf(NEWLINE, lineEnd - 1); index >= 0; index = data.lastIndexOf(NEWLINE, index - 1)) {
      if (lineEnd > index + 1) yield emit(data, index + 1, lineEnd, position, cost);
      lineEnd = index;
      if (index === 0) break;
    }
    carry = Buffer.from(data.subarray(0, lineEnd));
  }
  if (carry.length > 0) yield emit(carry, 0, carry.length, 0, cost);
}

function emit(data: Buffer, from: number, to: number, base: number, cost: ReadCost): LineAt {
  cost.lines += 1;
  return { text: data.toString('utf8', from, to), start: base + from };
}
