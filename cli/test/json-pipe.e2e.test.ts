import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'vitest';
import type { Diagnostic } from '@packer/core/contract';
import { generateWorkspace } from '@packer/fixtures';
import { packer } from './support/packer-bin.js';
import { emptyFolder } from './support/temp-project.js';

// A --json answer is read through a pipe (`packer check --json | jq`, CI). A pipe holds 64 KiB; what does not fit
// waits in the process for the reader. A command that fails after printing its answer (check with blockers exits
// 1) must not exit before that rest is written: the reader would get JSON cut at 65,536 bytes.

describe('a --json answer larger than a pipe buffer, from a command that exits 1', { timeout: 60_000 }, () => {
  test('packer check --json with 2,000 blockers prints the whole document through a pipe', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await emptyFolder(onTestFinished);
    await generateWorkspace({ root, files: 2_000, register: true, seed: 3 });
    await rm(path.join(root, 'assets'), { recursive: true });

    const result = await packer(root, ['check', '--json', '--no-daemon']);
    expect(result.code).toBe(1);
    expect(Buffer.byteLength(result.stdout)).toBeGreaterThan(64 * 1024);
    const answer = result.json<{ items: Diagnostic[]; blockers: number }>();
    expect(answer.blockers).toBe(2_000);
    expect(answer.items.filter((item) => item.code === 'MISSING_FILE')).toHaveLength(2_000);
  });
});
