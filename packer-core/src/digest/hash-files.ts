import { closeSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** sha256 of one file, read in 1 MiB chunks so memory stays flat for any file size. */
export function hashFileSync(absolute: string, buffer: Buffer = Buffer.allocUnsafe(1 << 20)): string {
  const hash = createHash('sha256');
  const fd = openSync(absolute, 'r');
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

// The worker is evaluated from source text so it runs the same from TypeScript sources and compiled dist.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const buffer = Buffer.allocUnsafe(1 << 20);
function hashFile(file) {
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    for (;;) { const n = readSync(fd, buffer, 0, buffer.length, null); if (n === 0) break; hash.update(buffer.subarray(0, n)); }
  } finally { closeSync(fd); }
  return hash.digest('hex');
}
parentPort.on('message', (files) => {
  parentPort.postMessage(files.map((file) => { try { return hashFile(file); } catch { return null; } }));
});
`;

const BATCH = 128;
const IN_PROCESS_LIMIT_FILES = 64;
const IN_PROCESS_LIMIT_BYTES = 16 << 20;

/**
 * Hashes many files. Small jobs run in-process; large ones on a pool of worker threads (one per core,
 * at most 4), which measured here on par with parallel `sha256sum` processes. Unreadable files map to null.
 */
export async function hashFiles(files: readonly { absolute: string; size: number }[]): Promise<(string | null)[]> {
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  if (files.length <= IN_PROCESS_LIMIT_FILES && totalBytes <= IN_PROCESS_LIMIT_BYTES) {
    const buffer = Buffer.allocUnsafe(1 << 20);
    return files.map((file) => {
      try {
        return hashFileSync(file.absolute, buffer);
      } catch {
        return null;
      }
    });
  }
  const results: (string | null)[] = new Array(files.length).fill(null);
  const poolSize = Math.max(1, Math.min(4, availableParallelism(), Math.ceil(files.length / BATCH)));
  let next = 0;
  const runWorker = async (): Promise<void> => {
    // execArgv: [] so a parent started with --input-type=module does not make the CommonJS source an ES module.
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    try {
      while (next < files.length) {
        const start = next;
        next += BATCH;
        const batch = files.slice(start, start + BATCH).map((file) => file.absolute);
        const digests = await new Promise<(string | null)[]>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.postMessage(batch);
        });
        worker.removeAllListeners('error');
        digests.forEach((digest, index) => (results[start + index] = digest));
      }
    } finally {
      await worker.terminate();
    }
  };
  await Promise.all(Array.from({ length: poolSize }, runWorker));
  return results;
}
