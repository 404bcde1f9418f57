import { Worker } from 'node:worker_threads';

/** One entry's bytes for the staging worker: `size` bytes at `sourceOffset` of `file`, to land at `offset`. */
export interface StageEntry {
  file: string;
  sourceOffset: number;
  size: number;
  digest: string;
  offset: number;
  /**
   * When set, the bytes are checked against this CRC-32 instead of `digest` (bytes copied out of a previous pack
   * version, whose CRCs were recorded when it was written: a quarter of the cost of a second SHA-256 pass).
   */
  crc?: number | undefined;
}

export interface StageJob {
  /** Temp file to create (exclusively) and fill. */
  temp: string;
  /** Header, table and padding up to the first entry. */
  index: Uint8Array;
  fileLength: number;
  entries: StageEntry[];
}

/**
 * `digest` of the whole file once written and fsynced, with each entry's CRC-32 (null where zlib has none), or
 * the first entry whose bytes did not match.
 */
export type StageResult =
  { digest: string; crcs: number[] | null } | { mismatch: number; actual: string } | { cancelled: true };

// Evaluated from source text so it runs the same from TypeScript sources and compiled dist (like hashFiles).
// Synchronous I/O in a worker: no thread-pool round trip per small file, and the daemon's event loop stays free.
// One job at a time per worker; `cancel` is a shared flag the job polls between chunks.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const crc32 = require('node:zlib').crc32;
const CHUNK = 4 << 20;
const buffer = Buffer.allocUnsafe(CHUNK);
function stage(job, cancel) {
  let fill = 0, flushed = 0;
  const whole = createHash('sha256');
  const out = fs.openSync(job.temp, 'wx', 0o644);
  const flush = () => {
    for (let done = 0; done < fill;) done += fs.writeSync(out, buffer, done, fill - done, flushed + done);
    flushed += fill; fill = 0;
  };
  const put = (bytes) => {
    whole.update(bytes);
    if (bytes.length > CHUNK - fill) { flush(); for (let done = 0; done < bytes.length;) done += fs.writeSync(out, bytes, done, bytes.length - done, flushed + done); flushed += bytes.length; return; }
    buffer.set(bytes, fill); fill += bytes.length;
  };
  const zeros = (count) => {
    if (count <= 0) return;
    if (count > CHUNK - fill) { put(Buffer.alloc(count)); return; }
    const gap = buffer.subarray(fill, fill + count);
    gap.fill(0); whole.update(gap); fill += count;
  };
  // Consecutive entries often share a file (a cache segment, the previous version of the pack): opened once.
  let openFile, openFd;
  const closeOpen = () => { if (openFd !== undefined) fs.closeSync(openFd); openFile = undefined; openFd = undefined; };
  const copy = (entry) => {
    if (openFile !== entry.file) {
      closeOpen();
      try { openFd = fs.openSync(entry.file, 'r'); openFile = entry.file; } catch (error) { return 'unreadable (' + (error.code || 'error') + ')'; }
    }
    const fd = openFd;
    const checkCrc = entry.crc !== undefined && crc32 !== undefined;
    const hash = checkCrc ? undefined : createHash('sha256');
    let crc = 0;
    for (let done = 0; done < entry.size;) {
      if (Atomics.load(cancel, 0) === 1) return null;
      if (fill === CHUNK) flush();
      const n = fs.readSync(fd, buffer, fill, Math.min(CHUNK - fill, entry.size - done), entry.sourceOffset + done);
      if (n === 0) return 'truncated at ' + done + ' of ' + entry.size + ' bytes';
      const chunk = buffer.subarray(fill, fill + n);
      if (hash) hash.update(chunk);
      if (crc32) crc = crc32(chunk, crc);
      whole.update(chunk);
      fill += n; done += n;
    }
    crcs.push(crc);
    if (checkCrc) return crc === entry.crc ? entry.digest : 'crc32 ' + crc;
    return hash.digest('hex');
  };
  const crcs = [];
  const run = () => {
    put(Buffer.from(job.index));
    let position = job.index.length;
    for (let i = 0; i < job.entries.length; i++) {
      if (Atomics.load(cancel, 0) === 1) return { cancelled: true };
      const entry = job.entries[i];
      zeros(entry.offset - position);
      const actual = copy(entry);
      if (actual === null) return { cancelled: true };
      if (actual !== entry.digest) return { mismatch: i, actual };
      position = entry.offset + entry.size;
    }
    zeros(job.fileLength - position);
    flush();
    fs.fsyncSync(out);
    return { digest: whole.digest('hex'), crcs: crc32 ? crcs : null };
  };
  let result;
  try { result = run(); } catch (error) { result = { error: { message: String(error && error.message), code: error && error.code } }; }
  closeOpen();
  fs.closeSync(out);
  if (!('digest' in result)) fs.rmSync(job.temp, { force: true });
  return result;
}
parentPort.on('message', ({ job, cancel }) => {
  let result;
  try { result = stage(job, new Int32Array(cancel)); } catch (error) { result = { error: { message: String(error && error.message), code: error && error.code } }; }
  parentPort.postMessage(result);
});
`;

/**
 * Worker threads that write packs' temp files: index, then each entry's bytes hashed against its digest,
 * zero padding, fsync. Workers are started on demand and reused for the next pack; `close` ends them.
 */
export class StageWorkers {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();

  /** Stages one pack. An abort stops it between chunks (the worker removes the temp file). Rejects on an I/O error. */
  async stage(job: StageJob, signal?: AbortSignal): Promise<StageResult> {
    const worker = this.idle.pop() ?? this.spawn();
    const cancel = new SharedArrayBuffer(4);
    const onAbort = (): void => {
      Atomics.store(new Int32Array(cancel), 0, 1);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    try {
      const result = await new Promise<StageResult | { error: { message: string; code?: string } }>(
        (resolve, reject) => {
          const onError = (error: Error): void => reject(error);
          worker.once('error', onError);
          worker.once('message', (message: StageResult) => {
            worker.off('error', onError);
            resolve(message);
          });
          worker.postMessage({ job, cancel });
        },
      );
      this.idle.push(worker);
      if ('error' in result)
        throw Object.assign(new Error(result.error.message), result.error.code ? { code: result.error.code } : {});
      return result;
    } catch (error) {
      if (!this.idle.includes(worker)) this.forget(worker);
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    const workers = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    this.all.add(worker);
    return worker;
  }

  private forget(worker: Worker): void {
    this.all.delete(worker);
    void worker.terminate();
  }
}
