import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { open, rm } from 'node:fs/promises';
import zlib from 'node:zlib';
import type { RemoteCacheStats } from '../../contract/build-schema.js';
import type { Diagnostic } from '../../contract/diagnostics.js';
import { diagnostic } from '../../snapshot/diagnostic.js';
import type { CachedOutput, OutputCache } from '../output-cache.js';
import type { PlannedEntry } from '../plan-build.js';
import { decodeActionResult, encodeActionResult, MAX_ACTION_RESULT_BYTES } from './action-result.js';
import { BodyTooLarge } from './cache-http.js';
import type { RemoteCache } from './remote-cache.js';

/** Blobs up to this size are downloaded into memory and uploaded from it; larger ones stream through a file. */
export const STREAM_THRESHOLD = 4 * 1024 * 1024;
/** zlib's CRC-32 (Node 20.15+; absent before: the pack writer then checks the sha256 again). */
const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** What an output will be (digest, size, metadata), known from its action result before its blob is here. */
export type OutputShape = Pick<CachedOutput, 'digest' | 'size' | 'metadata'>;

/** A remote hit, stored in the local cache; `crc` is the CRC-32 of the verified bytes (absent for pass-through). */
export interface FetchedOutput {
  output: CachedOutput;
  crc?: number | undefined;
}

/** Warnings one build reports at most (the stats count every error). */
const MAX_WARNINGS = 20;

/**
 * One build's use of the remote cache: `fetch` a local miss (verified before anything is stored), `upload` what
 * the build processed (read-write mode; blobs first, the action result last), `settle` before the local cache
 * is saved. Nothing here throws for a cache problem: it becomes a miss, a REMOTE_CACHE warning and a count.
 */
export class RemoteBuildSession {
  private readonly counters = { hits: 0, misses: 0, uploads: 0, bytesDown: 0, bytesUp: 0, timeMs: 0, errors: 0 };
  private readonly warningList: Diagnostic[] = [];
  private readonly uploadQueue: (() => Promise<void>)[] = [];
  private readonly running = new Set<Promise<void>>();
  private droppedWarnings = 0;

  private readonly signal: AbortSignal;

  constructor(
    private readonly remote: RemoteCache,
    buildSignal: AbortSignal,
  ) {
    // One listener on the build's signal; every request listens to this session's own (many at once, by design).
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    if (buildSignal.aborted) controller.abort(buildSignal.reason);
    else buildSignal.addEventListener('abort', () => controller.abort(buildSignal.reason), { once: true });
    this.signal = controller.signal;
  }

  /** Lookups (and their downloads) worth running at once. */
  get concurrency(): number {
    return this.remote.concurrency;
  }

  get stats(): RemoteCacheStats {
    const state = this.remote.breaker.paused ? 'paused' : this.counters.errors > 0 ? 'degraded' : 'ok';
    return {
      url: this.remote.displayUrl,
      mode: this.remote.mode,
      ...this.counters,
      timeMs: Math.round(this.counters.timeMs),
      state,
    };
  }

  get warnings(): Diagnostic[] {
    return this.warningList;
  }

  /**
   * The entry's output from the remote cache, stored in the local cache under its key, or undefined (a miss):
   * `lookup`, then the blob's `download`. `described` hears what the output will be as soon as the action result
   * says so (a pack can be laid out meanwhile); the blob may still fail, and the caller must check the final output
   * against it.
   */
  async fetch(
    entry: PlannedEntry,
    cache: OutputCache,
    described?: (shape: OutputShape) => void,
  ): Promise<FetchedOutput | undefined> {
    const found = await this.lookup(entry, cache);
    if (!found || 'output' in found) return found;
    described?.(found.shape);
    return found.download();
  }

  /**
   * Reads the entry's action result (its shape checked): undefined for a miss; a pass-through output, recorded in
   * the local cache; or what the output will be and how to download its blob. A build reads action results ahead of
   * the blobs, so that packs can be laid out while the blobs arrive.
   */
  async lookup(
    entry: PlannedEntry,
    cache: OutputCache,
  ): Promise<FetchedOutput | { shape: OutputShape; download: () => Promise<FetchedOutput | undefined> } | undefined> {
    if (this.remote.breaker.paused || this.signal.aborted) return this.miss();
    const chunks: Buffer[] = [];
    const ac = await this.request(
      () =>
        this.remote.http.get(
          `ac/${entry.cacheKey}`,
          MAX_ACTION_RESULT_BYTES,
          (chunk) => void chunks.push(Buffer.from(chunk)),
          this.signal,
        ),
      entry,
    );
    if (!ac?.found) return this.miss();
    this.counters.bytesDown += ac.bytes;
    const decoded = decodeActionResult(Buffer.concat(chunks));
    if (!decoded.ok) return this.rejected(entry, `the action result for ${entry.path} ${decoded.reason}`);
    const { output, metadata } = decoded.value;
    if (output.type === 'passthrough') {
      // The output is the input file itself: only usable when it names exactly this input.
      if (output.digest !== entry.inputDigest || output.size !== entry.size)
        return this.rejected(entry, `the action result for ${entry.path} names another input than this file`);
      this.counters.hits++;
      return {
        output: cache.recordPassthrough(entry.cacheKey, { digest: output.digest, size: output.size, metadata }),
      };
    }
    const shape = { digest: output.digest, size: output.size, metadata };
    return { shape, download: () => this.download(entry, cache, shape) };
  }

  /**
   * Downloads a blob, checks its size and sha256 (and takes its CRC-32 on the same pass, so the pack writer can check
   * the copy it reads back without a second sha256), then stores it; undefined (a miss) when it is absent or fails.
   * Small blobs are stored from memory; large ones stream through a scratch file.
   */
  private async download(
    entry: PlannedEntry,
    cache: OutputCache,
    output: OutputShape,
  ): Promise<FetchedOutput | undefined> {
    if (this.remote.breaker.paused || this.signal.aborted) return this.miss();
    const hash = createHash('sha256');
    let crc = 0;
    const large = output.size > STREAM_THRESHOLD;
    const file = large ? cache.scratchFile('.download') : undefined;
    const handle = file ? await open(file, 'w') : undefined;
    // A blob downloaded into memory lands in one buffer of the size its action result gave (a longer body fails
    // before it is copied: `size` is the GET's limit).
    const body = large ? undefined : Buffer.allocUnsafe(output.size);
    let filled = 0;
    try {
      const blob = await this.request(
        () =>
          this.remote.http.get(
            `cas/${output.digest}`,
            output.size,
            // Synchronous unless the bytes go to a file: a promise per chunk would pause the socket per chunk.
            (chunk) => {
              hash.update(chunk);
              if (crc32) crc = crc32(chunk, crc);
              if (handle) return handle.write(chunk).then(() => undefined);
              filled += chunk.copy(body!, filled);
              return undefined;
            },
            this.signal,
          ),
        entry,
      );
      await handle?.close();
      if (!blob?.found) return this.miss();
      this.counters.bytesDown += blob.bytes;
      const digest = hash.digest('hex');
      if (blob.bytes !== output.size || digest !== output.digest) {
        return this.rejected(
          entry,
          `the blob for ${entry.path} failed verification (${blob.bytes} bytes with sha256 ${digest.slice(0, 12)}…, expected ${output.size} bytes with ${output.digest.slice(0, 12)}…): not used, built locally`,
        );
      }
      this.counters.hits++;
      const { metadata } = output;
      const stored = file
        ? await cache.storeFile(entry.cacheKey, file, metadata, digest)
        : await cache.storeBytes(entry.cacheKey, body!.subarray(0, filled), metadata, digest);
      return { output: stored, crc: crc32 ? crc : undefined };
    } finally {
      await handle?.close().catch(() => undefined);
      if (file) await rm(file, { force: true });
    }
  }

  /** Queues the upload of an output this build processed (read-write mode only): its blob, then its action result. */
  upload(entry: PlannedEntry, output: CachedOutput, cache: OutputCache): void {
    if (this.remote.mode !== 'read-write') return;
    this.uploadQueue.push(() => this.uploadNow(entry, output, cache));
    this.pump();
  }

  /** Resolves when every queued upload has ended (uploads still queued after a cancel are dropped). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private pump(): void {
    while (this.running.size < this.remote.concurrency && this.uploadQueue.length > 0) {
      const next = this.uploadQueue.shift()!;
      const task: Promise<void> = next().finally(() => {
        this.running.delete(task);
        this.pump();
      });
      this.running.add(task);
    }
  }

  private async uploadNow(entry: PlannedEntry, output: CachedOutput, cache: OutputCache): Promise<void> {
    if (this.remote.breaker.paused || this.signal.aborted) return;
    const passthrough = output.stored === undefined;
    if (!passthrough) {
      // The output may still wait in the cache's write batch.
      await cache.flush();
      const { file, offset } = output.stored!;
      // Small blobs are read whole (one write on the socket); large ones stream from the segment.
      const body =
        output.size <= STREAM_THRESHOLD
          ? await readRange(file, offset, output.size)
          : { file, start: offset, size: output.size };
      const sent = await this.request(() => this.remote.http.put(`cas/${output.digest}`, body, this.signal), entry);
      if (sent === undefined) return;
      this.counters.bytesUp += output.size;
    }
    // The action result last: a reader who finds it finds its blob.
    const value = encodeActionResult(
      { type: passthrough ? 'passthrough' : 'blob', digest: output.digest, size: output.size },
      output.metadata,
    );
    const done = await this.request(() => this.remote.http.put(`ac/${entry.cacheKey}`, value, this.signal), entry);
    if (done === undefined) return;
    this.counters.bytesUp += value.length;
    this.counters.uploads++;
  }

  /** Runs one request, timing it; a failure is recorded and reported, and answers undefined. */
  private async request<T>(send: () => Promise<T>, entry: PlannedEntry): Promise<T | undefined> {
    if (this.remote.breaker.paused) return undefined;
    const started = performance.now();
    try {
      const result = await send();
      this.remote.succeeded();
      return (result ?? true) as T;
    } catch (error) {
      if (this.signal.aborted) return undefined;
      this.counters.errors++;
      if (error instanceof BodyTooLarge) {
        this.warn(entry, `${this.remote.redactor.text(error.message)} for ${entry.path}: not used, built locally`);
        return undefined;
      }
      const { message, paused } = this.remote.failed(error);
      if (paused)
        this.warn(
          undefined,
          `${this.remote.displayUrl} paused for 30 s after repeated failures (last: ${message}); the rest of the build runs locally`,
        );
      else this.warn(entry, `${this.remote.displayUrl}: ${message}`);
      return undefined;
    } finally {
      this.counters.timeMs += performance.now() - started;
    }
  }

  private miss(): undefined {
    this.counters.misses++;
    return undefined;
  }

  private rejected(entry: PlannedEntry, message: string): undefined {
    this.counters.errors++;
    this.warn(entry, message);
    return this.miss();
  }

  private warn(entry: PlannedEntry | undefined, message: string): void {
    if (this.warningList.length >= MAX_WARNINGS) {
      this.droppedWarnings++;
      return;
    }
    const subject = entry ? { assetId: entry.assetId, path: entry.path } : {};
    this.warningList.push(
      diagnostic(
        'REMOTE_CACHE',
        `remote-cache: ${this.remote.redactor.text(message)}`,
        subject,
        'The build goes on locally; the output is rebuilt here and not trusted from the cache. Check the server (see `packer daemon status`).',
      ),
    );
  }
}

async function readRange(file: string, offset: number, size: number): Promise<Buffer> {
  if (size === 0) return Buffer.alloc(0);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(size);
    for (let done = 0; done < size;) {
      const { bytesRead } = await handle.read(buffer, done, size - done, offset + done);
      if (bytesRead === 0) throw new Error(`unexpected end of ${file}`);
      done += bytesRead;
    }
    return buffer;
  } finally {
    await handle.close();
  }
}
