import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'vitest';
import { generateWorkspace } from '@packer/fixtures';
import type { MethodResult, PlanSummary } from '@packer/core/contract';
import { ndjson, packer } from './support/packer-bin.js';
import { disposeProject } from './support/temp-project.js';

// Issue 11 through the real bin and the project daemon: `packer add` of 20,000 untracked files prints the
// packer's summary (counts, the first 20 changes), `--dry-run --json` prints the summary, `--ndjson` pages every
// item, and the add applies by plan id. It used to lose the connection when the preview passed the frame cap.

const FILES = 20_000;
const TIMEOUT = 400_000;

describe('a 20,000-file add through the CLI', { timeout: TIMEOUT }, () => {
  test('dry-run prints the summary, --ndjson every item, --yes applies it', async ({ expect, onTestFinished }) => {
    const root = mkdtempSync(path.join(tmpdir(), 'packer-cli-paged-'));
    onTestFinished(() => disposeProject(root));
    await generateWorkspace({ root, files: FILES, sizes: { min: 16, max: 64 }, depth: 2, foldersPerLevel: 8 });

    const dry = await packer(root, ['add', 'assets', '--dry-run', '--json'], { timeoutMs: TIMEOUT });
    expect(dry.code, dry.stderr).toBe(0);
    // The summary, not the plan: its size does not follow the project's.
    expect(dry.stdout.length).toBeLessThan(256 * 1024);
    const { plan } = dry.json<{ plan: PlanSummary; applied: boolean }>();
    expect(plan.counts.registry.add).toBe(FILES);
    expect(plan.truncated).toBe(true);
    expect(plan.registryMutations.length).toBeLessThan(FILES);

    const items = await packer(root, ['add', 'assets', '--dry-run', '--ndjson'], { timeoutMs: TIMEOUT });
    expect(items.code, items.stderr).toBe(0);
    const lines = ndjson<{ list: string; item: { op: string; entry: { path: string } } }>(items.stdout);
    expect(lines).toHaveLength(FILES);
    expect(new Set(lines.map((line) => line.item.entry.path)).size).toBe(FILES);
    expect(lines.every((line) => line.list === 'registryMutations' && line.item.op === 'add')).toBe(true);

    const added = await packer(root, ['add', 'assets', '--yes'], { timeoutMs: TIMEOUT });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('Registry changes (20,000: 20,000 new):');
    expect(added.stdout).toContain('… and 19,980 more (first 20 shown; --all to list)');
    expect(added.stdout).toMatch(/Applied: revision \d+ → \d+/);
    expect(added.stdout.split('\n').length).toBeLessThan(100);

    const status = await packer(root, ['status', '--json']);
    expect(status.json<{ summary: MethodResult<'snapshot.summary'> }>().summary.summary).toMatchObject({
      assets: FILES,
      untracked: 0,
    });
  });
});
