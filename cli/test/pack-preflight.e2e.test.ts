import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import type {
  Diagnostic,
  EventEnvelope,
  MethodResult,
  Plan,
  ApplyResult,
  ProjectConfigInput,
} from '@packer/core/contract';
import { ProjectClient } from '@packer/client';
import { packer } from './support/packer-bin.js';
import { fixtureProject } from './support/temp-project.js';

// Issue 12, items 5–7 through the real bin and the project daemon: a typo in a pack filter never ships an empty
// pack, `check` reports every blocker a build would hit (one diagnostic per problem), and a build running in the
// lane does not make a concurrent `mv --yes` fail.

const TIMEOUT = 120_000;

type CheckJson = MethodResult<'diagnostics.list'>;
type BlockedJson = { error: { code: string; message: string; data: { blockers?: Diagnostic[]; field?: string } } };

const configOf = (root: string): ProjectConfigInput & { packs: NonNullable<ProjectConfigInput['packs']> } =>
  JSON.parse(readFileSync(path.join(root, 'packer.json'), 'utf8')) as never;
const writeConfig = (root: string, config: ProjectConfigInput): void =>
  writeFileSync(path.join(root, 'packer.json'), JSON.stringify(config, null, 2));
/** The build folder, file by file, as bytes: what "no pack was replaced" compares. */
const buildFolder = (root: string): Record<string, string> =>
  Object.fromEntries(
    readdirSync(path.join(root, 'build'))
      .sort()
      .map((name) => [name, readFileSync(path.join(root, 'build', name)).toString('base64')]),
  );
/** What a diagnostic says, for comparing check's and build's findings. */
const finding = (item: Diagnostic): string => `${item.code}: ${item.message}`;

describe.concurrent(
  "packs that cannot silently go wrong, and check as the build's preflight (real bin, daemon)",
  { timeout: TIMEOUT },
  () => {
    test('a typo in an include glob or a kind never replaces a full pack with an empty one; check says so first; allowEmpty allows it', async ({
      expect,
      onTestFinished,
    }) => {
      const root = await fixtureProject('sample-game', onTestFinished);
      const built = await packer(root, ['build']);
      expect(built.code, built.stderr).toBe(0);
      const before = buildFolder(root);
      const config = configOf(root);
      const audio = config.packs.findIndex((pack) => pack.name === 'audio');

      // `"include": ["asets/audio/**"]`: it was an EMPTY_PACK warning and a 128-byte pack, exit 0.
      writeConfig(root, {
        ...config,
        packs: config.packs.map((pack, index) => (index === audio ? { ...pack, include: ['asets/audio/**'] } : pack)),
      });
      const check = await packer(root, ['check', '--json']);
      expect(check.code, check.stderr).toBe(1);
      const checked = check.json<CheckJson>().items.filter((item) => item.severity === 'blocker');
      expect(checked.map(finding)).toEqual([
        'EMPTY_PACK: Pack "audio" selects no assets: include "asets/audio/**" matches none of the 45 registered assets. A build would replace the pack with an empty one.',
      ]);
      const build = await packer(root, ['build', '--json']);
      expect(build.code).toBe(1);
      const blocked = build.json<BlockedJson>().error;
      expect(blocked.code).toBe('BLOCKED');
      // Check exits 1 with exactly the blockers the build reports.
      expect(blocked.data.blockers!.map(finding)).toEqual(checked.map(finding));
      expect(buildFolder(root)).toEqual(before);

      // `"kinds": ["audoi"]`: a kind nobody defines is a config error naming the field; the last good config stays.
      writeConfig(root, config);
      expect((await packer(root, ['check'])).code).toBe(0);
      writeConfig(root, {
        ...config,
        packs: config.packs.map((pack, index) => (index === audio ? { ...pack, kinds: ['audoi'] } : pack)),
      });
      const kindCheck = await packer(root, ['check', '--json']);
      expect(kindCheck.code).toBe(1);
      const invalid = kindCheck.json<CheckJson>().items.find((item) => item.code === 'INVALID_CONFIG');
      expect(invalid?.message).toContain(
        `field "packs[${audio}].kinds[0]" is invalid: names kind "audoi", which "kinds" does not define`,
      );
      const kindBuild = await packer(root, ['build', '--json']);
      expect(kindBuild.code).toBe(1);
      expect(kindBuild.json<BlockedJson>().error.data.blockers!.map((item) => item.code)).toEqual(['INVALID_CONFIG']);
      expect(buildFolder(root)).toEqual(before);

      // A pack that may be empty says so: then check passes and the build writes the empty pack.
      writeConfig(root, {
        ...config,
        packs: config.packs.map((pack, index) =>
          index === audio ? { ...pack, include: ['asets/audio/**'], allowEmpty: true } : pack,
        ),
      });
      const allowed = await packer(root, ['check', '--severity', 'blocker']);
      expect(allowed.code, allowed.stdout).toBe(0);
      const emptyBuild = await packer(root, ['build', '--json']);
      expect(emptyBuild.code, emptyBuild.stderr).toBe(0);
      expect(
        emptyBuild.json<{ packs: { pack: string; entries: number }[] }>().packs.find((pack) => pack.pack === 'audio'),
      ).toMatchObject({ entries: 0 });
    });

    test('packs spanning asset roots: check exits 1 with the same DUPLICATE_OUTPUT blockers the build reports, one per output name', async ({
      expect,
      onTestFinished,
    }) => {
      const root = await fixtureProject('sample-game', onTestFinished);
      // A second root holding files named as in the first: output names are relative to their root, so they collide.
      cpSync(path.join(root, 'assets/data'), path.join(root, 'more/data'), { recursive: true });
      const config = configOf(root);
      const collisions = readdirSync(path.join(root, 'more/data'), { recursive: true, withFileTypes: true })
        // `*.tmp` files are ignored by the fixture's packer.json: never assets.
        .filter((entry) => entry.isFile() && !entry.name.endsWith('.tmp'))
        .map((entry) =>
          path
            .relative(path.join(root, 'more/data'), path.join(entry.parentPath, entry.name))
            .split(path.sep)
            .join('/'),
        )
        .sort();
      expect(collisions.length).toBeGreaterThan(1);
      writeConfig(root, {
        ...config,
        assetRoots: ['assets', 'more'],
        packs: [...config.packs, { name: 'all-data', include: ['assets/data/**', 'more/data/**'] }],
      });
      const added = await packer(root, ['add', 'more', '--yes']);
      expect(added.code, added.stderr).toBe(0);

      const check = await packer(root, ['check', '--json']);
      expect(check.code, check.stderr).toBe(1);
      const checked = check.json<CheckJson>();
      const duplicates = checked.items.filter((item) => item.code === 'DUPLICATE_OUTPUT');
      // One diagnostic per problem (it was one per asset involved), each listing both assets.
      expect(duplicates.map((item) => item.message.match(/named "([^"]+)"/)?.[1]).sort()).toEqual(
        collisions.map((name) => `data/${name}`),
      );
      for (const item of duplicates) {
        expect(item.subjects?.map((subject) => subject.path).sort()).toEqual([
          `assets/${item.message.match(/named "([^"]+)"/)![1]}`,
          `more/${item.message.match(/named "([^"]+)"/)![1]}`,
        ]);
        expect(item.subjects?.every((subject) => subject.assetId?.startsWith('a_'))).toBe(true);
      }
      expect(checked.blockers).toBe(duplicates.length);

      const build = await packer(root, ['build', '--json']);
      expect(build.code).toBe(1);
      expect(build.json<BlockedJson>().error.data.blockers!.map(finding)).toEqual(
        checked.items.filter((item) => item.severity === 'blocker').map(finding),
      );
      // Printed once each in the human output too.
      const human = await packer(root, ['build']);
      expect(human.stdout.split('\n').filter((line) => line.includes('DUPLICATE_OUTPUT'))).toHaveLength(
        collisions.length,
      );
    });
  },
);

describe('a build does not make a concurrent mutation fail (real daemon)', { timeout: TIMEOUT }, () => {
  test('packer mv --yes during a build succeeds; a mutation that really conflicts still gets CONFLICT with what changed', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const config = configOf(root);
    // A build made long enough to mutate during it: audio goes through a tool that takes a second per file.
    writeConfig(root, {
      ...config,
      tools: {
        slow: { command: 'sh', args: ['-c', 'sleep 1.5; cp "$1" "$2"', 'slow', '{input}', '{output}'], sandbox: 'off' },
      },
      kinds: { ...config.kinds, audio: { ...config.kinds!.audio!, processor: 'slow' } },
    });
    const client = await ProjectClient.connect(root, { client: 'test:concurrent' });
    onTestFinished(() => client.close());
    const events: EventEnvelope[] = [];
    const waiters = new Set<() => void>();
    const subscription = await client.subscribe({
      onEvent: (event) => {
        events.push(event);
        for (const waiter of waiters) waiter();
      },
    });
    onTestFinished(() => subscription.close());
    const waitFor = (predicate: (event: EventEnvelope) => boolean): Promise<EventEnvelope> =>
      new Promise((resolve) => {
        const check = (): void => {
          const found = events.find(predicate);
          if (!found) return;
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      });

    const { operationId } = await client.call('build.start', {});
    const started = await waitFor((event) => event.operationId === operationId && event.type === 'started');
    expect(started.payload).toMatchObject({ kind: 'build' });

    // The mv previews while the build runs, then waits in the lane behind it; the build records its packs
    // (a new revision) before the mv applies. It used to fail with CONFLICT.
    const moved = await packer(root, [
      'mv',
      'assets/sprites/items/coin.png',
      'assets/sprites/items/gold-coin.png',
      '--yes',
      '--json',
    ]);
    expect(moved.code, moved.stderr).toBe(0);
    const outcome = moved.json<{ plan: Plan; applied: boolean; result: ApplyResult }>();
    expect(outcome.applied).toBe(true);
    const completed = await waitFor(
      (event) => event.operationId === operationId && ['completed', 'failed', 'cancelled'].includes(event.type),
    );
    expect(completed.type).toBe('completed');
    // The race really happened: the build moved the revision between the mv's preview and its apply.
    expect(outcome.result.revisionBefore).toBeGreaterThan(outcome.plan.baseRevision);

    // A real conflict: another client moves the very file between this preview and its apply.
    const preview = await client.call('mutation.preview', {
      mutation: { type: 'move', from: 'assets/sprites/items/gem.png', to: 'assets/sprites/items/ruby.png' },
      sync: true,
    });
    const other = await packer(root, [
      'mv',
      'assets/sprites/items/gem.png',
      'assets/sprites/items/emerald.png',
      '--yes',
    ]);
    expect(other.code, other.stderr).toBe(0);
    const refusal = await client
      .call('mutation.apply', { mutation: preview.mutation, expectedRevision: preview.baseRevision })
      .then(
        () => undefined,
        (error: unknown) => error as { code: string; message: string; data: { changes?: string[] } },
      );
    expect(refusal?.code).toBe('CONFLICT');
    expect(refusal?.data.changes).toContain(
      'file change no longer planned: move assets/sprites/items/gem.png → assets/sprites/items/ruby.png',
    );
    expect(refusal?.message).toContain('the plan changed: ');
  });
});
