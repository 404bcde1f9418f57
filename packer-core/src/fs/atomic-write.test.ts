import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/temp-dirs.js';
import { writeFileAtomic } from './atomic-write.js';

const temps = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.tmp'));

describe('writeFileAtomic', () => {
  it('keeps the permission bits of the file it replaces, whatever the umask', () => {
    const dir = makeTempDir('atomic-');
    for (const mode of [0o444, 0o600, 0o640, 0o664]) {
      const file = path.join(dir, `f-${mode.toString(8)}`);
      writeFileSync(file, 'old');
      chmodSync(file, mode);
      writeFileAtomic(file, 'new');
      expect(readFileSync(file, 'utf8')).toBe('new');
      expect(statSync(file).mode & 0o777).toBe(mode);
    }
    expect(temps(dir)).toEqual([]);
  });

  it('creates a new file 0644 (less the umask)', () => {
    const dir = makeTempDir('atomic-');
    writeFileAtomic(path.join(dir, 'fresh'), 'x');
    expect(statSync(path.join(dir, 'fresh')).mode & 0o777 & ~0o644).toBe(0);
  });

  it('removes its temp file when the rename fails (the target is a non-empty folder)', () => {
    const dir = makeTempDir('atomic-');
    const target = path.join(dir, 'packer.registry.json');
    mkdirSync(target);
    writeFileSync(path.join(target, 'inside'), 'x');
    expect(() => writeFileAtomic(target, 'data')).toThrow();
    expect(temps(dir)).toEqual([]);
    expect(readdirSync(dir)).toEqual(['packer.registry.json']);
  });

  it('removes its temp file when writing the data fails', () => {
    const dir = makeTempDir('atomic-');
    const target = path.join(dir, 'out.json');
    writeFileSync(target, 'old');
    // writeFileSync refuses a non-string, non-buffer value after the temp file is open.
    expect(() => writeFileAtomic(target, 42 as unknown as string)).toThrow();
    expect(temps(dir)).toEqual([]);
    expect(readFileSync(target, 'utf8')).toBe('old');
  });

  it('replaces a symlink at the target with a file rather than writing through it', () => {
    const dir = makeTempDir('atomic-');
    writeFileSync(path.join(dir, 'elsewhere'), 'keep');
    symlinkSync(path.join(dir, 'elsewhere'), path.join(dir, 'target'));
    writeFileAtomic(path.join(dir, 'target'), 'new');
    expect(readFileSync(path.join(dir, 'elsewhere'), 'utf8')).toBe('keep');
    expect(readFileSync(path.join(dir, 'target'), 'utf8')).toBe('new');
  });
});
