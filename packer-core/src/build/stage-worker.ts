import { Worker } from 'node:worker_threads';

/** One entry's bytes for the staging worker: `size` bytes at `sourceOffset` of `file`, to land at `offset`. */
export interface StageEntry {
  file: string;
  sourceOffset: number;
  size: number;
  digest: string;
  offset: number;
}

export interface StageJob {
  /** Temp file to create (exclusively) and fill. */
  temp: string;
  /** Header, table and padding up to the first entry. */
  index: Uint8Array;
  fileLength: number;
  entries: StageEntry[];
}

/** `digest` of the whole file once written and fsynced, or the first entry whose bytes did not match. */
export type StageResult = { digest: string } | { mismatch: number; actual: string } | { cancelled: true };

// Evaluated from source text so it runs the same from TypeScript sources and compiled dist (like hashFiles).
// Synchronous I/O in a worker: no thread-pool round trip per small file, and the daemon's event loop stays free.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const job = workerData.job;
const cancel = new Int32Array(workerData.cancel);
const CHUNK = 4 << 20;
const buffer = Buffer.allocUnsafe(CHUNK);
let fill = 0, flushed = 0;
const whole = createHash('sha256');
const out = fs.openSync(job.temp, 'wx', 0o644);
function flush() {
  for (let done = 0; done < fill;) done += fs.writeSync(out, buffer, done, fill - done, flushed + done);
  flushed += fill; fill = 0;
}
function put(bytes) {
  whole.update(bytes);
  if (bytes.length > CHUNK - fill) { flush(); for (let done = 0; done < bytes.length;) done += fs.writeSync(out, bytes, done, bytes.length - done, flushed + done); flushed += bytes.length; return; }
  buffer.set(bytes, fill); fill += bytes.length;
}
function zeros(count) { if (count > 0) put(Buffer.alloc(count)); }
function copy(entry) {
  let fd;
  try { fd = fs.openSync(entry.file, 'r'); } catch (error) { return 'unreadable (' + (error.code || 'error') + ')'; }
  const hash = createHash('sha256');
  try {
    for (let done = 0; done < entry.size;) {
      if (Atomics.load(cancel, 0) === 1) return null;
      if (fill === CHUNK) flush();
      const n = fs.readSync(fd, buffer, fill, Math.min(CHUNK - fill, entry.size - done), entry.sourceOffset + done);
      if (n === 0) return 'truncated at ' + done + ' of ' + entry.size + ' bytes';
      const chunk = buffer.subarray(fill, fill + n);
      hash.update(chunk); whole.update(chunk);
      fill += n; done += n;
    }
  } finally { fs.closeSync(fd); }
  return hash.digest('hex');
}
function run() {
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
  return { digest: whole.digest('hex') };
}
let result;
try { result = run(); } catch (error) { result = { error: { message: String(error && error.message), code: error && error.code } }; }
fs.closeSync(out);
if (!('digest' in result)) fs.rmSync(job.temp, { force: true });
parentPort.postMessage(result);
`;

/**
 * Writes a pack's temp file on a worker thread: index, then each entry's bytes hashed against its digest,
 * zero padding, fsync. An abort stops it between chunks (it removes the temp file itself). Rejects with the
 * worker's I/O error, if any.
 */
export function stageInWorker(job: StageJob, signal?: AbortSignal): Promise<StageResult> {
  const cancel = new SharedArrayBuffer(4);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { job, cancel } });
  const onAbort = (): void => {
    Atomics.store(new Int32Array(cancel), 0, 1);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  return new Promise<StageResult>((resolve, reject) => {
    worker.once('message', (result: StageResult | { error: { message: string; code?: string } }) => {
      if ('error' in result) reject(Object.assign(new Error(result.error.message), result.error.code ? { code: result.error.code } : {}));
      else resolve(result);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the pack staging worker exited with code ${code}`)));
  }).finally(() => {
    signal?.removeEventListener('abort', onAbort);
    void worker.terminate();
  });
}
