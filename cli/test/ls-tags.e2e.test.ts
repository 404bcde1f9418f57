import { describe, test } from 'vitest';
import { ProjectClient } from '@packer/client';
import { packer } from './support/packer-bin.js';
import { fixtureProject } from './support/temp-project.js';

// `packer ls --tag` is repeatable: an asset carrying any of the tags is listed, as a pack's "tags" selects. The
// packer filters (assets.list takes one tag or a list); the CLI only passes them on.

type Listing = { total: number; items: { path: string; tags?: string[] }[] };

describe('packer ls --tag, repeated', { timeout: 90_000 }, () => {
  test('lists the assets carrying any of the tags, combined with the other filters', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const tag = async (asset: string, ...tags: string[]): Promise<void> => {
      const run = await packer(root, ['set', asset, ...tags.flatMap((name) => ['--tag', name]), '--yes']);
      expect(run.code, run.stderr).toBe(0);
    };
    await tag('assets/data/game-settings.json', 'menu');
    await tag('assets/sprites/enemies/bat.png', 'overlay', 'foe');
    await tag('assets/sprites/enemies/skeleton.png', 'foe');

    const both = await packer(root, ['ls', '--tag', 'menu', '--tag', 'overlay', '--json']);
    expect(both.code, both.stderr).toBe(0);
    const listing = both.json<Listing>();
    expect(listing.items.map((item) => item.path)).toEqual([
      'assets/data/game-settings.json',
      'assets/sprites/enemies/bat.png',
    ]);
    expect(listing.total).toBe(2);

    // For people too, and with the --tag=value spelling; a folder argument after the flags is still the prefix.
    const text = await packer(root, ['ls', '--tag=foe', '--tag', 'menu', 'assets/sprites']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('assets/sprites/enemies/bat.png');
    expect(text.stdout).toContain('assets/sprites/enemies/skeleton.png');
    expect(text.stdout).not.toContain('game-settings.json');

    // One tag filters as before; other filters still narrow.
    const one = await packer(root, ['ls', '--tag', 'foe', '--kind', 'data', '--json']);
    expect(one.json<Listing>().items).toEqual([]);
    const none = await packer(root, ['ls', '--tag', 'nope', '--tag', 'nada']);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout.trim()).toBe('No matching assets.');

    // A client from before the list sends one tag as a string: still accepted, same answer.
    const client = await ProjectClient.connect(root, { client: 'test:old-client', autoStart: false, reconnect: false });
    try {
      const answer = await client.call('assets.list', { tag: ' foe ' });
      expect(answer.items.map((item) => item.path)).toEqual([
        'assets/sprites/enemies/bat.png',
        'assets/sprites/enemies/skeleton.png',
      ]);
    } finally {
      await client.close();
    }
  });
});
