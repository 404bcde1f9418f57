import { Worker } from 'node:worker_threads';
import { withErrorPath } from '../fs/error-path.js';

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
// One job at a time per worker, fed by messages: `begin` (create the temp file, write the index), `entries` (any
// number of times, in file order: a pack can be written while later entries are still being downloaded), `end`
// (pad, flush, fsync) or `abort`. The worker answers once per job, as soon as the outcome is known (a mismatch is
// answered at once, so the feeder stops); messages of a job already answered are ignored (they carry its id).
// `cancel` is a shared flag polled between chunks.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const crc32 = require('node:zlib').crc32;
const CHUNK = 4 << 20;
const buffer = Buffer.allocUnsafe(CHUNK);
let job;
function begin(spec, cancel) {
  const state = { id: spec.id, temp: spec.temp, fileLength: spec.fileLength, cancel, fill: 0, flushed: 0,
    whole: createHash('sha256'), out: fs.openSync(spec.temp, 'wx', 0o644), position: spec.index.length, at: 0,
    crcs: [], openFile: undefined, openFd: undefined };
  job = state;
  put(Buffer.from(spec.index));
}
function flush() {
  for (let done = 0; done < job.fill;) done += fs.writeSync(job.out, buffer, done, job.fill - done, job.flushed + done);
  job.flushed += job.fill; job.fill = 0;
}
function put(bytes) {
  job.whole.update(bytes);
  if (bytes.length > CHUNK - job.fill) {
    flush();
    for (let done = 0; done < bytes.length;) done += fs.writeSync(job.out, bytes, done, bytes.length - done, job.flushed + done);
    job.flushed += bytes.length; return;
  }
  buffer.set(bytes, job.fill); job.fill += bytes.length;
}
function zeros(count) {
  if (count <= 0) return;
  if (count > CHUNK - job.fill) { put(Buffer.alloc(count)); return; }
  const gap = buffer.subarray(job.fill, job.fill + count);
  gap.fill(0); job.whole.update(gap); job.fill += count;
}
// Consecutive entries often share a file (a cache segment, the previous version of the pack): opened once.
function closeOpen() { if (job.openFd !== undefined) fs.closeSync(job.openFd); job.openFile = undefined; job.openFd = undefined; }
function copy(entry) {
  if (job.openFile !== entry.file) {
    closeOpen();
    try { job.openFd = fs.openSync(entry.file, 'r'); job.openFile = entry.file; } catch (error) { return 'unreadable (' + (error.code || 'error') + ')'; }
  }
  const fd = job.openFd;
  const checkCrc = entry.crc !== undefined && crc32 !== undefined;
  const hash = checkCrc ? undefined : createHash('sha256');
  let crc = 0;
  for (let done = 0; done < entry.size;) {
    if (Atomics.load(job.cancel, 0) === 1) return null;
    if (job.fill === CHUNK) flush();
    const n = fs.readSync(fd, buffer, job.fill, Math.min(CHUNK - job.fill, entry.size - done), entry.sourceOffset + done);
    if (n === 0) return 'truncated at ' + done + ' of ' + entry.size + ' bytes';
    const chunk = buffer.subarray(job.fill, job.fill + n);
    if (hash) hash.update(chunk);
    if (crc32) crc = crc32(chunk, crc);
    job.whole.update(chunk);
    job.fill += n; done += n;
  }
  job.crcs.push(crc);
  if (checkCrc) return crc === entry.crc ? entry.digest : 'crc32 ' + crc;
  return hash.digest('hex');
}
function entries(list) {
  for (const entry of list) {
    if (Atomics.load(job.cancel, 0) === 1) return { cancelled: true };
    zeros(entry.offset - job.position);
    const actual = copy(entry);
    if (actual === null) return { cancelled: true };
    if (actual !== entry.digest) return { mismatch: job.at, actual };
    job.position = entry.offset + entry.size;
    job.at++;
  }
  return undefined;
}
function end() {
  zeros(job.fileLength - job.position);
  flush();
  fs.fsyncSync(job.out);
  return { digest: job.whole.digest('hex'), crcs: crc32 ? job.crcs : null };
}
function finish(result) {
  const state = job;
  job = undefined;
  if (state.openFd !== undefined) try { fs.closeSync(state.openFd); } catch {}
  try { fs.closeSync(state.out); } catch {}
  if (!('digest' in result)) fs.rmSync(state.temp, { force: true });
  parentPort.postMessage({ id: state.id, result });
}
// What the main thread needs to name the failure: the errno code and the system call (a write has no path).
function workerError(error) {
  return { message: String(error && error.message), code: error && error.code, syscall: error && error.syscall };
}
parentPort.on('message', (message) => {
  if (message.begin) {
    try { begin(message.begin, new Int32Array(message.cancel)); } catch (error) {
      if (job) finish({ error: workerError(error) });
      else parentPort.postMessage({ id: message.begin.id, result: { error: workerError(error) } });
    }
    return;
  }
  if (!job || job.id !== message.id) return;
  let result;
  try {
    if (message.entries) result = entries(message.entries);
    else if (message.end) result = end();
    else if (message.abort) result = { cancelled: true };
  } catch (error) { result = { error: workerError(error) }; }
  if (result) finish(result);
});
`;

type WorkerAnswer = StageResult | { error: { message: string; code?: string; syscall?: string } };

/**
 * Worker threads that write packs' temp files: index, then each entry's bytes hashed against its digest (or checked
 * against its CRC-32), zero padding, fsync. Workers are started on demand and reused for the next pack; `close`
 * ends them.
 */
export class StageWorkers {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private lastJob = 0;

  /** Stages one pack whose entries are all known. An abort stops it between chunks (the worker removes the temp
   * file). Rejects on an I/O error. */
  stage(job: StageJob, signal?: AbortSignal): Promise<StageResult> {
    const { entries, ...header } = job;
    return this.stageStream(header, [entries], signal);
  }

  /**
   * Stages one pack from entries that arrive in batches, in file order (the iterable may wait between batches: the
   * worker writes what it has meanwhile). Ends early with the mismatch or cancellation the worker reports; when the
   * feed itself throws, the job is abandoned (temp file removed) and the feed's error rethrown.
   */
  async stageStream(
    header: Omit<StageJob, 'entries'>,
    feed: Iterable<StageEntry[]> | AsyncIterable<StageEntry[]>,
    signal?: AbortSignal,
  ): Promise<StageResult> {
    const worker = this.idle.pop() ?? this.spawn();
    const id = ++this.lastJob;
    const cancel = new SharedArrayBuffer(4);
    let answer: WorkerAnswer | undefined;
    let onMessage!: (message: { id: number; result: WorkerAnswer }) => void;
    let onError!: (error: Error) => void;
    const answered = new Promise<WorkerAnswer>((resolve, reject) => {
      onMessage = (message) => {
        if (message.id !== id) return;
        answer = message.result;
        resolve(message.result);
      };
      onError = reject;
    });
    worker.on('message', onMessage);
    worker.once('error', onError);
    const onAbort = (): void => {
      Atomics.store(new Int32Array(cancel), 0, 1);
      // A worker waiting for the next batch learns it from a message.
      worker.postMessage({ id, abort: true });
    };
    let healthy = true;
    try {
      worker.postMessage({ begin: { ...header, id }, cancel });
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort();
      const batches = Symbol.asyncIterator in feed ? feed[Symbol.asyncIterator]() : toAsync(feed[Symbol.iterator]());
      try {
        for (;;) {
          // The worker may answer (a mismatch, a cancel) while the feed waits for an output that may never come.
          const next = batches.next();
          const step = await Promise.race([next, answered.then(() => undefined)]);
          if (!step) {
            next.catch(() => undefined);
            void batches.return?.()?.catch(() => undefined);
            break;
          }
          if (step.done) break;
          if (step.value.length > 0) worker.postMessage({ id, entries: step.value });
        }
      } catch (error) {
        worker.postMessage({ id, abort: true });
        await answered.catch(() => (healthy = false));
        throw error;
      }
      if (!answer) worker.postMessage({ id, end: true });
      const result = await answered.catch((error: unknown) => {
        healthy = false;
        throw error;
      });
      if ('error' in result) {
        const { message, code, syscall } = result.error;
        // A system call's failure keeps its shape (code, syscall) and names the pack's temp file, in the build folder.
        throw withErrorPath(
          Object.assign(new Error(message), code ? { code } : {}, code && syscall ? { syscall } : {}),
          header.temp,
        );
      }
      return result;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      worker.off('message', onMessage);
      worker.off('error', onError);
      if (healthy && answer) this.idle.push(worker);
      else this.forget(worker);
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

function toAsync<T>(iterator: Iterator<T>): AsyncIterator<T> {
  return { next: () => Promise.resolve(iterator.next()) };
}
