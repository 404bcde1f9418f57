import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonLogger, type LoggerFileSystem } from './daemon-logger.js';

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function logFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'packer-logger-'));
  temps.push(dir);
  return path.join(dir, '.packer', 'daemon.log');
}

function lines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const enospc = (file: string) =>
  Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), {
    code: 'ENOSPC',
    syscall: 'write',
    path: file,
  });

describe('DaemonLogger', () => {
  it('keeps daemon.log under its cap through 2,000 refused handshakes with a 15 KB Origin (issue 12)', () => {
    const file = logFile();
    const maxBytes = 256 * 1024;
    const logger = new DaemonLogger(file, { maxBytes, keep: 1 });
    const origin = `http://${'a'.repeat(15 * 1024)}.example`;
    for (let i = 0; i < 2000; i++)
      logger.warn('websocket handshake refused', {
        origin,
        headers: { origin, host: 'x' },
        reason: 'origin not allowed',
      });

    const files = readdirSync(path.dirname(file)).sort();
    expect(files).toEqual(['daemon.log', 'daemon.log.1']);
    for (const name of files) expect(statSync(path.join(path.dirname(file), name)).size).toBeLessThanOrEqual(maxBytes);
    // The old code wrote every Origin whole: 2,000 × 30 KB ≈ 58 MiB.
    const [first] = lines(file);
    expect(first!.origin).toMatch(/^http:\/\/a{249}…\[\+15\d{3} chars\]$/);
    expect((first!.headers as { origin: string }).origin.length).toBeLessThan(300);
    expect(logger.droppedLines).toBe(0);
  });

  it('rotates into at most `keep` old files', () => {
    const file = logFile();
    const logger = new DaemonLogger(file, { maxBytes: 1024, keep: 2 });
    for (let i = 0; i < 200; i++) logger.info('line', { i });
    expect(readdirSync(path.dirname(file)).sort()).toEqual(['daemon.log', 'daemon.log.1', 'daemon.log.2']);
    // The newest lines are in daemon.log, the ones before them in .1.
    expect(lines(file).at(-1)!.i).toBe(199);
    expect(Number(lines(`${file}.1`).at(-1)!.i)).toBe(Number(lines(file)[0]!.i) - 1);
  });

  it('bounds deep, wide and huge fields, and never throws on ones JSON cannot write', () => {
    const file = logFile();
    const logger = new DaemonLogger(file, { maxBytes: 1024 * 1024 });
    const deep: Record<string, unknown> = {};
    let cursor = deep;
    for (let i = 0; i < 50; i++) cursor = cursor.next = {};
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    logger.info('x'.repeat(10_000), {
      deep,
      wide: Array.from({ length: 10_000 }, (_, i) => `item-${i}`),
      many: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, 'v'.repeat(1000)])),
    });
    logger.info('big int and cycle', { count: 10n, cyclic });
    const written = readFileSync(file, 'utf8');
    expect(Buffer.byteLength(written)).toBeLessThan(16 * 1024);
    const [first, second] = lines(file);
    expect(String(first!.message)).toContain('…[+9744 chars]');
    expect(first!.wide).toHaveLength(21);
    expect(second).toMatchObject({ count: '10', cyclic: { self: { self: { self: '[…]' } } } });
  });

  it('swallows and counts a full disk, then says how many lines it dropped once writes go through', () => {
    const file = logFile();
    let full = true;
    const failing: LoggerFileSystem = {
      ...fs,
      appendFileSync: (target, data) => {
        if (full) throw enospc(target);
        fs.appendFileSync(target, data);
      },
    };
    const logger = new DaemonLogger(file, { fs: failing });
    for (let i = 0; i < 5; i++) expect(() => logger.error('cannot write', { i })).not.toThrow();
    expect(logger.droppedLines).toBe(5);
    expect(logger.writeProblem).toMatchObject({ store: 'daemon-log', path: file, errno: 'ENOSPC', dropped: 5 });
    expect(existsSync(file)).toBe(false);

    full = false;
    logger.info('space again');
    expect(logger.writeProblem).toBeUndefined();
    expect(lines(file).map((line) => line.message)).toEqual([
      'space again',
      'log lines were dropped while the log file could not be written',
    ]);
    expect(lines(file)[1]).toMatchObject({ droppedLines: 5 });
  });

  it('drops the line rather than grow past the cap when rotation fails', () => {
    const file = logFile();
    const noRename: LoggerFileSystem = {
      ...fs,
      renameSync: () => {
        throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      },
    };
    const logger = new DaemonLogger(file, { maxBytes: 2048, fs: noRename });
    for (let i = 0; i < 100; i++) logger.info('line', { i });
    expect(statSync(file).size).toBeLessThanOrEqual(2048);
    expect(logger.droppedLines).toBeGreaterThan(0);
  });
});
