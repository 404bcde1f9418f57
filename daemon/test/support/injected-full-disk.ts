import { rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import type { DiskSwitch } from './full-disk-fs.js';

/**
 * In-process daemons and project copies a test file starts, ended after each test: the disk is free again first,
 * so their shutdown can write what it must.
 */
export function afterEachFreeDisk(disk: DiskSwitch): {
  roots: string[];
  daemons: Set<{ shutdown(reason: string): Promise<void> }>;
} {
  const roots: string[] = [];
  const daemons = new Set<{ shutdown(reason: string): Promise<void> }>();
  afterEach(async () => {
    disk.full = false;
    const started = [...daemons];
    daemons.clear();
    try {
      for (const daemon of started) await daemon.shutdown('test cleanup');
    } finally {
      for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
    }
  });
  return { roots, daemons };
}
