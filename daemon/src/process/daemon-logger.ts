import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { StorageWarning } from '@packer/core/contract';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The file operations the logger uses; tests pass failing ones to play a full disk. */
export interface LoggerFileSystem {
  appendFileSync(file: string, data: string): void;
  renameSync(from: string, to: string): void;
  rmSync(file: string, options: { force: true }): void;
  statSync(file: string): { size: number };
  mkdirSync(dir: string, options: { recursive: true }): unknown;
}

export interface DaemonLoggerOptions {
  /** Size at which `daemon.log` is rotated to `daemon.log.1`. Default 5 MiB. */
  maxBytes?: number;
  /** Rotated files kept (`daemon.log.1` … `.N`). Default 1. */
  keep?: number;
  /** Longest string logged as is; longer ones are cut with a marker. Default 256. */
  maxStringLength?: number;
  fs?: LoggerFileSystem;
}

const nodeFileSystem: LoggerFileSystem = { appendFileSync, renameSync, rmSync, statSync, mkdirSync };

// Past these, one log call cannot cost more than a few KiB however large its fields were.
const MAX_DEPTH = 4;
const MAX_ITEMS = 20;
const MAX_LINE_BYTES = 8192;

/**
 * Structured log: one JSON object a line in `.packer/daemon.log`. What one peer can make it write is bounded:
 * every string is cut to `maxStringLength`, objects and arrays to a few levels and items, a line to 8 KiB, and the
 * file is rotated by size. Logging never throws: a line that cannot be written (a full disk) is dropped and counted.
 */
export class DaemonLogger {
  readonly #file: string;
  readonly #maxBytes: number;
  readonly #keep: number;
  readonly #maxString: number;
  readonly #fs: LoggerFileSystem;
  #size: number;
  #dropped = 0;
  #failure: StorageWarning | undefined;

  constructor(file: string, options: DaemonLoggerOptions = {}) {
    this.#file = file;
    this.#maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
    this.#keep = Math.max(1, options.keep ?? 1);
    this.#maxString = options.maxStringLength ?? 256;
    this.#fs = options.fs ?? nodeFileSystem;
    try {
      this.#fs.mkdirSync(path.dirname(file), { recursive: true });
    } catch {
      // the first write reports it
    }
    this.#size = this.#currentSize();
  }

  /** Lines dropped because they could not be written, over the logger's life. */
  get droppedLines(): number {
    return this.#dropped;
  }

  /** Set while lines are being dropped; cleared by the next line that is written. */
  get writeProblem(): StorageWarning | undefined {
    return this.#failure && { ...this.#failure, dropped: this.#dropped };
  }

  log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    try {
      let line =
        JSON.stringify({
          time: new Date().toISOString(),
          level,
          pid: process.pid,
          message: this.#bound(message, 0),
          ...(this.#bound(fields, 0) as object),
        }) + '\n';
      if (Buffer.byteLength(line) > MAX_LINE_BYTES) {
        line =
          JSON.stringify({
            time: new Date().toISOString(),
            level,
            pid: process.pid,
            message: this.#bound(message, 0),
            truncated: `fields took over ${MAX_LINE_BYTES} bytes`,
          }) + '\n';
      }
      this.#write(line);
    } catch {
      // Logging must never take the daemon down (a field that cannot be serialised, say).
      this.#dropped += 1;
    }
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.log('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.log('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.log('error', message, fields);
  }

  #write(line: string): void {
    const bytes = Buffer.byteLength(line);
    try {
      if (this.#size > 0 && this.#size + bytes > this.#maxBytes) this.#rotate();
      this.#fs.appendFileSync(this.#file, line);
    } catch (error) {
      this.#dropped += 1;
      const errno = (error as NodeJS.ErrnoException).code;
      this.#failure = {
        store: 'daemon-log',
        path: this.#file,
        ...(errno ? { errno } : {}),
        message: `Could not write ${this.#file}: ${(error as Error).message}`,
        since: this.#failure?.since ?? new Date().toISOString(),
      };
      // A write cut short still took some bytes: measure again rather than guess.
      this.#size = this.#currentSize();
      return;
    }
    this.#size += bytes;
    if (this.#failure) {
      const dropped = this.#dropped;
      this.#failure = undefined;
      this.log('warn', 'log lines were dropped while the log file could not be written', { droppedLines: dropped });
    }
  }

  /** daemon.log → daemon.log.1 → … → daemon.log.<keep>; the oldest falls off. */
  #rotate(): void {
    this.#fs.rmSync(`${this.#file}.${this.#keep}`, { force: true });
    for (let index = this.#keep - 1; index >= 1; index--) {
      try {
        this.#fs.renameSync(`${this.#file}.${index}`, `${this.#file}.${index + 1}`);
      } catch {
        // that generation does not exist yet
      }
    }
    this.#fs.renameSync(this.#file, `${this.#file}.1`);
    this.#size = 0;
  }

  #currentSize(): number {
    try {
      return this.#fs.statSync(this.#file).size;
    } catch {
      return 0;
    }
  }

  /** A copy of `value` whose strings, arrays, objects and depth are all bounded. */
  #bound(value: unknown, depth: number): unknown {
    if (typeof value === 'string') {
      return value.length <= this.#maxString
        ? value
        : `${value.slice(0, this.#maxString)}…[+${value.length - this.#maxString} chars]`;
    }
    if (value instanceof Error) return this.#bound(value.message, depth);
    if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? String(value) : value;
    if (depth >= MAX_DEPTH) return '[…]';
    if (Array.isArray(value)) {
      const items = value.slice(0, MAX_ITEMS).map((item) => this.#bound(item, depth + 1));
      if (value.length > MAX_ITEMS) items.push(`…[+${value.length - MAX_ITEMS} items]`);
      return items;
    }
    const entries = Object.entries(value as Record<string, unknown>);
    const bounded: Record<string, unknown> = {};
    for (const [key, item] of entries.slice(0, MAX_ITEMS))
      bounded[this.#bound(key, depth) as string] = this.#bound(item, depth + 1);
    if (entries.length > MAX_ITEMS) bounded['…'] = `+${entries.length - MAX_ITEMS} fields`;
    return bounded;
  }
}
