import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyFixture } from '@packer/fixtures';
import { PackerError } from '@packer/core/contract';
import { connectClient, startDaemon, stopDaemon } from './support/daemon-harness.js';

/**
 * A garbage crash journal used to stop the daemon at start with an INTERNAL error that named no file, so every
 * command failed. Now the daemon starts, serves reads with an INVALID_JOURNAL blocker and refuses writes.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const UPDATE = { type: 'update', target: 'assets/sprites/enemies/bat.png', addTags: ['night'] } as const;

describe('a daemon on a project with an invalid crash journal', () => {
  it('starts, answers reads with the INVALID_JOURNAL diagnostic and refuses mutations until the journal is removed', async () => {
    const root = await copyFixture('sample-game');
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(path.join(root, '.packer'), { recursive: true });
    const journal = path.join(root, '.packer/journal.json');
    writeFileSync(journal, '{not json');
    const registry = readFileSync(path.join(root, 'packer.registry.json'), 'utf8');

    const daemon = await startDaemon({ root });
    cleanups.push(() => stopDaemon(daemon, { keepRoot: true }));
    const client = await connectClient(root, 'invalid-journal-test');
    cleanups.push(() => client.close());

    const summary = await client.call('snapshot.summary', {});
    expect(summary.summary.assets).toBeGreaterThan(0);
    expect(summary.summary.blockers).toBeGreaterThanOrEqual(1);
    const diagnostics = await client.call('diagnostics.list', { code: 'INVALID_JOURNAL' });
    expect(diagnostics.items).toEqual([
      expect.objectContaining({
        code: 'INVALID_JOURNAL',
        severity: 'blocker',
        path: '.packer/journal.json',
        hint: expect.stringContaining('rm .packer/journal.json'),
      }),
    ]);

    const refused = await client.call('mutation.apply', { mutation: UPDATE }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(PackerError);
    expect(refused).toMatchObject({
      code: 'INVALID_JOURNAL',
      data: { file: journal, hint: expect.stringContaining('.packer/journal.json') },
    });
    expect(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')).toBe(registry);
    expect(readFileSync(journal, 'utf8')).toBe('{not json');

    // A person looked and removed it: the next write goes through, and the blocker is gone.
    rmSync(journal);
    const applied = await client.call('mutation.apply', { mutation: UPDATE });
    expect(applied.plan.registryMutations).toHaveLength(1);
    expect((await client.call('diagnostics.list', { code: 'INVALID_JOURNAL' })).items).toEqual([]);
  });
});
