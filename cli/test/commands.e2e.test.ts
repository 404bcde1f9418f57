import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { describe, test, vi } from 'vitest';
import { PackerError, parseCursor } from '@packer/core/contract';
import type {
  ApplyResult,
  AssetListItem,
  AuditRecord,
  Diagnostic,
  EventEnvelope,
  MethodResult,
  Plan,
  RegistryEntry,
} from '@packer/core/contract';
import { type DaemonClient, isDaemonAlive, ProjectClient } from '@packer/client';
import { SAMPLE_DIVERGENCES } from '@packer/fixtures';
import Add from '../src/commands/add.js';
import { developerEnv, ndjson, packer, spawnPacker } from './support/packer-bin.js';
import { emptyFolder, fixtureProject, runningDaemonPid } from './support/temp-project.js';

// End-to-end: the real `packer` bin as a child process, against temp copies of the fixtures. Each test owns its
// project copy; `fixtureProject` stops the copy's daemon with `packer daemon stop` and removes the copy when the
// test ends. Tests are independent, so they run concurrently. Every bin run costs a Node start-up, so each test
// checks files on disk directly where that says as much as another command would.

type StatusJson = {
  summary: MethodResult<'snapshot.summary'>;
  daemon: MethodResult<'daemon.health'> & { inProcess: boolean };
};
type LsJson = { revision: number; total: number; items: AssetListItem[] };
type ShowJson = MethodResult<'assets.get'>;
type MutationJson = { plan: Plan; applied: boolean; result?: ApplyResult };
type ErrorJson = { error: { code: string; message: string; data: Record<string, unknown> } };
type CheckJson = MethodResult<'diagnostics.list'>;

/** The registry file as the packer last wrote it. */
function registry(root: string): RegistryEntry[] {
  return (JSON.parse(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')) as { assets: RegistryEntry[] })
    .assets;
}

const TIMEOUT = 90_000;

describe.concurrent('packer commands through the project daemon (no CI)', { timeout: TIMEOUT }, () => {
  test('status, ls and show answer by field through one daemon started on demand; an unknown asset is NOT_FOUND', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    expect(runningDaemonPid(root)).toBeUndefined();

    const status = await packer(root, ['status', '--json']);
    expect(status.code).toBe(0);
    const { summary, daemon } = status.json<StatusJson>();
    expect(summary.projectName).toBe('sample-game');
    expect(summary.registryState).toBe('ok');
    expect(summary.summary.assets).toBe(45);
    expect(summary.summary.byKind).toEqual({ image: 24, audio: 6, data: 8, text: 5, binary: 2 });
    expect(summary.summary).toMatchObject({ missing: 0, untracked: 0, divergence: 0, blockers: 0 });
    expect(daemon.inProcess).toBe(false);
    expect(daemon.pid).toBe(runningDaemonPid(root));

    const human = await packer(root, ['status']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`sample-game  revision ${summary.revision}`);
    expect(human.stdout).toContain('assets: 45 (');
    // The same daemon answered: started once, on demand, then reused.
    expect(human.stdout).toContain(`daemon: pid ${daemon.pid},`);

    const audio = (await packer(root, ['ls', '--kind', 'audio', '--json'])).json<LsJson>();
    expect(audio.total).toBe(6);
    expect(new Set(audio.items.map((item) => item.kind))).toEqual(new Set(['audio']));

    const ui = (await packer(root, ['ls', '--tag', 'ui', '--json'])).json<LsJson>();
    expect(ui.items).toHaveLength(5);
    for (const item of ui.items) expect('tags' in item && item.tags).toContain('ui');

    const sprites = (await packer(root, ['ls', '--status', 'present', 'assets/sprites', '--json'])).json<LsJson>();
    expect(sprites.items).toHaveLength(21);
    for (const item of sprites.items)
      expect([item.path.startsWith('assets/sprites/'), item.status]).toEqual([true, 'present']);

    // A prefix is a path like any other: typed relative to the current folder.
    const fromSubfolder = (await packer(path.join(root, 'assets/sprites'), ['ls', 'ui', '--json'])).json<LsJson>();
    expect(fromSubfolder.items.map((item) => item.path).sort()).toEqual([
      'assets/sprites/ui/button.png',
      'assets/sprites/ui/cursor.png',
      'assets/sprites/ui/icon-settings.png',
      'assets/sprites/ui/panel.png',
    ]);

    const byPath = await packer(root, ['show', 'assets/sprites/ui/panel.png', '--json']);
    expect(byPath.code).toBe(0);
    const { asset } = byPath.json<ShowJson>();
    expect(asset).toMatchObject({
      path: 'assets/sprites/ui/panel.png',
      kind: 'image',
      status: 'present',
      settings: { premultiply: true },
      tags: ['ui'],
    });
    expect(asset.observation?.size).toBeGreaterThan(0);

    const byId = await packer(path.join(root, 'assets/sprites/ui'), ['show', asset.id]);
    expect(byId.code).toBe(0);
    expect(byId.stdout).toContain('assets/sprites/ui/panel.png');
    expect(byId.stdout).toMatch(/settings\s+\{"premultiply":true\}/);
    const byRelativePath = (
      await packer(path.join(root, 'assets/sprites/ui'), ['show', 'panel.png', '--json'])
    ).json<ShowJson>();
    expect(byRelativePath.asset.id).toBe(asset.id);

    const unknown = await packer(root, ['show', 'assets/nope.png']);
    expect(unknown.code).toBe(1);
    expect(unknown.errorText).toContain('No asset has path assets/nope.png.');
    expect(unknown.errorText).toContain('Code: NOT_FOUND');
    expect(unknown.errorText).toMatch(/Hint: .*packer ls/);
    const unknownJson = await packer(root, ['show', 'a_01JQZZZZZZZZZZZZZZZZZZZZZZ', '--json']);
    expect(unknownJson.code).toBe(1);
    const { error } = unknownJson.json<ErrorJson>();
    expect(error).toMatchObject({
      code: 'NOT_FOUND',
      data: { ref: 'a_01JQZZZZZZZZZZZZZZZZZZZZZZ', hint: expect.any(String) },
    });
  });

  test('add (--dry-run changes nothing, --tag), mv, rm --delete-file and set move files and registry together', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    writeFileSync(path.join(root, 'assets/text/notes.txt'), 'new notes\n');
    const registryBefore = readFileSync(path.join(root, 'packer.registry.json'), 'utf8');

    // A repeatable flag takes one value each time: the path after `--tag fresh` is a path, not a second tag.
    const dryRun = await packer(root, ['add', '--tag', 'fresh', 'assets/text/notes.txt', '--dry-run', '--json']);
    expect(dryRun.code).toBe(0);
    const preview = dryRun.json<MutationJson>();
    expect(preview.applied).toBe(false);
    expect(preview.plan.registryMutations).toEqual([
      expect.objectContaining({
        op: 'add',
        entry: expect.objectContaining({ path: 'assets/text/notes.txt', kind: 'text', tags: ['fresh'] }),
      }),
    ]);
    expect(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')).toBe(registryBefore);

    const added = await packer(root, ['add', 'assets/text/notes.txt', '--tag', 'fresh', '--yes', '--json']);
    expect(added.code).toBe(0);
    const addition = added.json<MutationJson>();
    expect(addition.applied).toBe(true);
    expect(addition.result!.revisionAfter).toBeGreaterThan(addition.result!.revisionBefore);
    const entry = registry(root).find((item) => item.path === 'assets/text/notes.txt');
    expect(entry).toMatchObject({ kind: 'text', tags: ['fresh'] });

    const moved = await packer(root, ['mv', 'assets/text/notes.txt', 'assets/text/locale/notes.txt', '--yes']);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain('move   assets/text/notes.txt → assets/text/locale/notes.txt');
    expect(moved.stdout).toMatch(/Applied: revision \d+ → \d+ \(operation op_\w+\)\./);
    expect(existsSync(path.join(root, 'assets/text/notes.txt'))).toBe(false);
    expect(readFileSync(path.join(root, 'assets/text/locale/notes.txt'), 'utf8')).toBe('new notes\n');
    // The id survives the move.
    expect(registry(root).find((item) => item.id === entry!.id)?.path).toBe('assets/text/locale/notes.txt');

    const removed = await packer(root, ['rm', entry!.id, '--delete-file', '--yes', '--json']);
    expect(removed.code).toBe(0);
    expect(removed.json<MutationJson>().plan.filesystemMutations).toEqual([
      { op: 'delete', path: 'assets/text/locale/notes.txt' },
    ]);
    expect(existsSync(path.join(root, 'assets/text/locale/notes.txt'))).toBe(false);
    expect(registry(root).some((item) => item.id === entry!.id)).toBe(false);

    const set = await packer(root, [
      'set',
      'assets/sprites/ui/button.png',
      'premultiply=true',
      'maxSize=512',
      '--tag',
      'hud',
      '--untag',
      'ui',
      '--yes',
      '--json',
    ]);
    expect(set.code).toBe(0);
    expect(set.json<MutationJson>().applied).toBe(true);
    // `true` became a boolean and `512` a number, as the image kind declares them.
    expect(registry(root).find((item) => item.path === 'assets/sprites/ui/button.png')).toMatchObject({
      settings: { premultiply: true, maxSize: 512 },
      tags: ['hud'],
    });
    // `key=` removes a setting.
    expect((await packer(root, ['set', 'assets/sprites/ui/panel.png', 'premultiply=', '--yes'])).code).toBe(0);
    expect(registry(root).find((item) => item.path === 'assets/sprites/ui/panel.png')?.settings).toEqual({});

    const badKey = await packer(root, ['set', 'assets/sprites/ui/button.png', 'bogus=1', '--yes', '--json']);
    expect(badKey.code).toBe(1);
    const badKeyError = badKey.json<ErrorJson>().error;
    expect(badKeyError.code).toBe('BLOCKED');
    const blockers = badKeyError.data.blockers as Diagnostic[];
    expect(blockers.map((item) => item.code)).toEqual(['INVALID_SETTINGS']);
    expect(blockers[0]!.message).toContain('"bogus"');

    const outside = await packer(root, ['mv', '../x.png', 'assets/y.png', '--yes']);
    expect(outside.code).toBe(1);
    expect(outside.stdout).toMatch(/blocker PATH_OUTSIDE_PROJECT .*resolves outside the project/);
    // The packer refused the apply, in its own words.
    expect(outside.errorText).toMatch(/The move plan has 1 blocker\(s\): The path ".*" resolves outside the project\./);
    expect(outside.errorText).toContain('Code: BLOCKED');
  });

  test('check fails with blockers; reconcile --dry-run previews, --yes applies; then check passes', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game-divergent', onTestFinished);
    const registryBefore = readFileSync(path.join(root, 'packer.registry.json'), 'utf8');

    const before = await packer(root, ['check', '--json']);
    expect(before.code).toBe(1);
    // One JSON document, even though the command ends with exit code 1.
    const beforeJson = before.json<CheckJson>();
    expect(beforeJson.blockers).toBeGreaterThan(0);
    const paths = (codes: string[]) =>
      beforeJson.items
        .filter((item) => codes.includes(item.code))
        .map((item) => item.path)
        .sort();
    // The moved file counts as missing (or MOVED_OUTSIDE when the packer recognises the move).
    expect(paths(['MISSING_FILE', 'MOVED_OUTSIDE'])).toEqual(
      [SAMPLE_DIVERGENCES.movedFrom, SAMPLE_DIVERGENCES.missing].sort(),
    );
    expect(paths(['UNTRACKED_FILE'])).toContain(SAMPLE_DIVERGENCES.untracked);

    const dryRun = await packer(root, ['reconcile', '--dry-run', '--json']);
    expect(dryRun.code).toBe(0);
    const preview = dryRun.json<MutationJson>();
    expect(preview.applied).toBe(false);
    expect(preview.plan.blockers).toEqual([]);
    const touched = preview.plan.registryMutations.map((change) =>
      change.op === 'update' ? change.after.path : change.entry.path,
    );
    expect(touched).toEqual(
      expect.arrayContaining([SAMPLE_DIVERGENCES.missing, SAMPLE_DIVERGENCES.untracked, SAMPLE_DIVERGENCES.movedTo]),
    );
    expect(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')).toBe(registryBefore);

    const applied = await packer(root, ['reconcile', '--yes', '--json']);
    expect(applied.code).toBe(0);
    const result = applied.json<MutationJson>();
    expect(result.applied).toBe(true);
    expect(result.result!.revisionAfter).toBeGreaterThan(preview.plan.baseRevision);
    const registeredPaths = registry(root).map((item) => item.path);
    expect(registeredPaths).toEqual(expect.arrayContaining([SAMPLE_DIVERGENCES.untracked, SAMPLE_DIVERGENCES.movedTo]));
    expect(registeredPaths).not.toContain(SAMPLE_DIVERGENCES.missing);

    const after = await packer(root, ['check']);
    expect(after.code).toBe(0);
    expect(after.stdout).not.toMatch(/MISSING_FILE|MOVED_OUTSIDE|UNTRACKED_FILE/);
    expect(after.stdout).toMatch(/revision \d+: 0 blockers, 0 warnings, 0 info/);
  });

  test('events (replay, --since, --follow --json) and history', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);

    // The follower starts the daemon on demand and replays the recent log, so it has subscribed once it prints
    // daemon.started.
    const follower = spawnPacker(root, ['events', '--follow', '--json']);
    onTestFinished(async () => {
      if (follower.exitCode === null && follower.signalCode === null) follower.kill('SIGKILL');
    });
    const followerExit = once(follower, 'exit');
    const followed: EventEnvelope[] = [];
    let partial = '';
    let onLine = (): void => undefined;
    follower.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line.trim()) followed.push(JSON.parse(line) as EventEnvelope);
      onLine();
    });
    const printed = (what: string, predicate: (event: EventEnvelope) => boolean) =>
      new Promise<EventEnvelope>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `events --follow never printed ${what}; it printed ${followed.map((event) => event.type).join(', ')}`,
              ),
            ),
          30_000,
        );
        onLine = () => {
          const found = followed.find(predicate);
          if (!found) return;
          clearTimeout(timer);
          resolve(found);
        };
        onLine();
      });
    await printed('daemon.started', (event) => event.type === 'daemon.started');

    const set = await packer(root, ['set', 'assets/audio/sfx/coin.wav', '--tag', 'loud', '--yes', '--json']);
    expect(set.code).toBe(0);
    const { operationId } = set.json<MutationJson>().result!;
    const completed = await printed(
      `the completed event of ${operationId}`,
      (event) => event.type === 'completed' && event.operationId === operationId,
    );
    expect(followed.filter((event) => event.operationId === operationId).map((event) => event.type)).toEqual([
      'queued',
      'started',
      'completed',
    ]);
    follower.kill('SIGINT');
    // Interrupting --follow is the normal way to end it.
    expect((await followerExit)[0]).toBe(0);

    const replay = await packer(root, ['events', '--json']);
    expect(replay.code).toBe(0);
    const replayed = ndjson<EventEnvelope>(replay.stdout);
    expect(replayed.map((event) => event.cursor)).toContain(completed.cursor);
    const queued = replayed.find((event) => event.type === 'queued' && event.operationId === operationId)!;
    expect(queued.payload).toMatchObject({
      kind: 'update',
      summary: expect.stringContaining('assets/audio/sfx/coin.wav'),
    });

    const since = ndjson<EventEnvelope>((await packer(root, ['events', '--since', queued.cursor, '--json'])).stdout);
    const seq = (cursor: string) => parseCursor(cursor).seq;
    for (const event of since) expect(seq(event.cursor)).toBeGreaterThan(seq(queued.cursor));
    expect(since.filter((event) => event.operationId === operationId).map((event) => event.type)).toEqual([
      'started',
      'completed',
    ]);

    const history = await packer(root, ['history', '--json']);
    expect(history.code).toBe(0);
    const record = history.json<{ items: AuditRecord[] }>().items.find((item) => item.operationId === operationId);
    expect(record).toMatchObject({ result: 'applied', scope: { type: 'update' }, actor: { client: 'cli:set' } });
    expect(record!.revisionAfter).toBeGreaterThan(record!.revisionBefore);
  });

  test('events after a daemon restart: the last 20, across both daemons, and then it ends', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    for (const tag of ['a', 'b', 'c', 'd'])
      expect((await packer(root, ['set', 'assets/audio/sfx/coin.wav', '--tag', tag, '--yes'])).code).toBe(0);
    expect((await packer(root, ['daemon', 'restart'])).code).toBe(0);
    // Used to hang: the cursor made from the newest one named seqs of the first daemon with the second's number.
    const replay = await packer(root, ['events', '--json']);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stderr).toBe('');
    const events = ndjson<EventEnvelope>(replay.stdout);
    expect(events).toHaveLength(20);
    const generations = new Set(events.map((event) => parseCursor(event.cursor).generation));
    expect(generations.size).toBe(2);
    const seqs = events.map((event) => parseCursor(event.cursor).seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs[19]! - seqs[0]!).toBe(19); // consecutive: the last 20 of the log, none skipped
    expect(events.at(-1)!.type).toBe('daemon.started');
    // What stopped the first daemon is the restart (an operation it cancelled gives that reason too).
    expect(events.find((event) => event.type === 'daemon.stopping')?.payload).toEqual({
      reason: 'packer daemon restart',
    });
    const human = await packer(root, ['events']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout.trim().split('\n')).toHaveLength(20);
  });

  test('daemon start, status, restart, logs and stop', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    expect((await packer(root, ['daemon', 'status', '--json'])).json()).toEqual({ running: false });

    const start = await packer(root, ['daemon', 'start', '--json']);
    expect(start.code).toBe(0);
    const { pid, projectRoot } = start.json<{ pid: number; projectRoot: string }>();
    expect(projectRoot).toBe(root);
    expect(runningDaemonPid(root)).toBe(pid);

    const status = await packer(root, ['daemon', 'status']);
    expect(status.stdout).toMatch(new RegExp(`^running: pid ${pid}, up .*, ready, revision \\d+$`, 'm'));

    const restart = (await packer(root, ['daemon', 'restart', '--json'])).json<{ pid: number; previousPid: number }>();
    expect(restart.previousPid).toBe(pid);
    expect(restart.pid).not.toBe(pid);
    expect(isDaemonAlive(pid)).toBe(false);
    expect(runningDaemonPid(root)).toBe(restart.pid);

    const logs = (await packer(root, ['daemon', 'logs', '--json'])).json<{
      file: string;
      entries: { message?: string; pid?: number }[];
    }>();
    expect(logs.file).toBe(path.join(root, '.packer/daemon.log'));
    expect(logs.entries).toContainEqual(expect.objectContaining({ message: 'daemon ready', pid: restart.pid }));

    const stop = await packer(root, ['daemon', 'stop', '--json']);
    expect(stop.json()).toEqual({ stopped: true, pid: restart.pid });
    expect(isDaemonAlive(restart.pid)).toBe(false);
    const again = await packer(root, ['daemon', 'stop']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No packer daemon was running.');
  });

  test('usage errors exit 2 before touching the project', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const unknownFlag = await packer(root, ['ls', '--bogus']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.errorText).toContain('Nonexistent flag: --bogus');
    const missingArg = await packer(root, ['mv', 'assets/sprites/ui/button.png']);
    expect(missingArg.code).toBe(2);
    expect(missingArg.errorText).toContain('Missing 1 required arg');
    const badOption = await packer(root, ['check', '--severity', 'fatal']);
    expect(badOption.code).toBe(2);
    expect(badOption.errorText).toContain('Expected --severity=fatal to be one of: blocker, warning, info');
    // A mistyped -C names the missing folder, not a missing packer.json (lean status path and oclif alike).
    for (const args of [['status'], ['ls']]) {
      const nowhere = await packer(root, ['-C', path.join(root, 'no-such-dir'), ...args]);
      expect(nowhere.code).toBe(1);
      expect(nowhere.errorText).toContain(`No such folder: ${path.join(root, 'no-such-dir')}.`);
    }
    expect(runningDaemonPid(root)).toBeUndefined();
  });

  test('a broken packer.json fails commands with a message naming the file and the field', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    writeFileSync(path.join(root, 'packer.json'), JSON.stringify({ name: 5 }));

    const status = await packer(root, ['status']);
    expect(status.code).toBe(1);
    expect(status.errorText).toContain(`${path.join(root, 'packer.json')}: field "name" is invalid`);
    expect(status.errorText).toContain('Code: INVALID_CONFIG');

    const add = await packer(root, ['add', 'assets', '--yes', '--json']);
    expect(add.code).toBe(1);
    expect(add.json<ErrorJson>().error).toMatchObject({
      code: 'INVALID_CONFIG',
      data: { file: path.join(root, 'packer.json'), field: 'name' },
    });
    // The daemon refused to start on a bad config; nothing is left running.
    expect(runningDaemonPid(root)).toBeUndefined();
  });

  test('init creates a project in an empty folder, git-ignores .packer/ and never overwrites', async ({
    expect,
    onTestFinished,
  }) => {
    const folder = await emptyFolder(onTestFinished);
    writeFileSync(path.join(folder, '.gitignore'), 'node_modules\n');

    const init = await packer(folder, ['init', '--json']);
    expect(init.code).toBe(0);
    const result = init.json<{ root: string; created: string[] }>();
    expect(result.root).toBe(folder);
    expect(result.created).toEqual(expect.arrayContaining(['packer.json', 'packer.registry.json']));
    expect(readFileSync(path.join(folder, '.gitignore'), 'utf8').split('\n')).toEqual(
      expect.arrayContaining(['node_modules', '.packer/']),
    );
    const config = readFileSync(path.join(folder, 'packer.json'), 'utf8');
    expect(JSON.parse(config).name).toBe(path.basename(folder));
    expect(registry(folder)).toEqual([]);

    const again = await packer(folder, ['init', '--json']);
    expect(again.code).toBe(1);
    expect(again.json<ErrorJson>().error).toMatchObject({
      code: 'INVALID_CONFIG',
      message: `${path.join(folder, 'packer.json')} already exists; packer init never overwrites a project.`,
      data: { hint: expect.any(String) },
    });
    expect(readFileSync(path.join(folder, 'packer.json'), 'utf8')).toBe(config);
  });
});

describe.concurrent('packer commands in-process', { timeout: TIMEOUT }, () => {
  test('--no-daemon runs the packer in this process and leaves no daemon behind', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    writeFileSync(path.join(root, 'assets/text/extra.txt'), 'extra\n');

    const status = (await packer(root, ['status', '--json', '--no-daemon'])).json<StatusJson>();
    expect(status.daemon.inProcess).toBe(true);
    expect(status.summary.summary).toMatchObject({ assets: 45, untracked: 1 });
    const added = await packer(root, [
      'add',
      'assets/text/extra.txt',
      '--tag',
      'extra',
      '--yes',
      '--json',
      '--no-daemon',
    ]);
    expect(added.code).toBe(0);
    expect(added.json<MutationJson>().applied).toBe(true);
    expect(registry(root).find((item) => item.path === 'assets/text/extra.txt')?.tags).toEqual(['extra']);

    expect(runningDaemonPid(root)).toBeUndefined();
    expect((await packer(root, ['daemon', 'status', '--json'])).json()).toEqual({ running: false });
  });

  test('with CI set, commands run in-process unless the daemon is asked for', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const ci = developerEnv({ CI: '1' });

    expect((await packer(root, ['status', '--json'], { env: ci })).json<StatusJson>().daemon.inProcess).toBe(true);
    const set = await packer(root, ['set', 'assets/sprites/ui/cursor.png', 'maxSize=64', '--yes'], { env: ci });
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/Applied: revision \d+ → \d+/);
    expect(registry(root).find((item) => item.path === 'assets/sprites/ui/cursor.png')?.settings).toEqual({
      maxSize: 64,
    });
    expect(runningDaemonPid(root)).toBeUndefined();
    expect((await packer(root, ['daemon', 'status'], { env: ci })).stdout).toContain(
      'No packer daemon is running for this project.',
    );

    // Asking for the daemon beats the CI default: PACKER_DAEMON=1, or --daemon on the command line.
    const opted = (
      await packer(root, ['status', '--json'], { env: developerEnv({ CI: '1', PACKER_DAEMON: '1' }) })
    ).json<StatusJson>();
    expect(opted.daemon.inProcess).toBe(false);
    expect(opted.daemon.pid).toBe(runningDaemonPid(root));
    const flagged = (await packer(root, ['status', '--json', '--daemon'], { env: ci })).json<StatusJson>();
    expect(flagged.daemon).toMatchObject({ inProcess: false, pid: opted.daemon.pid });
  });
});

describe.concurrent('a conflict between preview and apply', { timeout: TIMEOUT }, () => {
  test("an apply with the preview's revision fails with CONFLICT once the disk changed what the plan does", async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const notes = path.join(root, 'assets/text/notes.txt');
    writeFileSync(notes, 'first draft\n');
    const preview = (await packer(root, ['add', 'assets/text/notes.txt', '--dry-run', '--json'])).json<MutationJson>();
    // Only a change to what the plan would do conflicts (an edit of the file's content would not): it is gone.
    rmSync(notes);

    // The CLI previews and applies in one process, so a stale revision is reached here through the client library,
    // talking to the daemon the CLI started.
    const client = await ProjectClient.connect(root, { client: 'test:conflict', autoStart: false, reconnect: false });
    onTestFinished(() => client.close());
    const error = await client
      .call('mutation.apply', { mutation: preview.plan.mutation, expectedRevision: preview.plan.baseRevision })
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(PackerError);
    expect(error).toMatchObject({ code: 'CONFLICT', data: { expectedRevision: preview.plan.baseRevision } });
    expect((error as PackerError).data.currentRevision).toBeGreaterThan(preview.plan.baseRevision);
    expect(registry(root).some((item) => item.path === 'assets/text/notes.txt')).toBe(false);
    const audit = (await packer(root, ['history', '--json'])).json<{ items: AuditRecord[] }>();
    expect(audit.items.at(-1)).toMatchObject({
      result: 'conflict',
      scope: { type: 'register' },
      actor: { client: 'test:conflict' },
    });
  });

  test("the CLI prints the packer's conflict as it came: what moved and how to retry", async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const notes = path.join(root, 'assets/text/notes.txt');
    writeFileSync(notes, 'first draft\n');
    // The real `packer add` code path in this process, with one seam: someone deletes the file between the CLI's
    // preview and its apply. The daemon (started on demand by the CLI's client) decides and words the conflict.
    class AddWhileSomeoneEdits extends Add {
      protected override async client(): Promise<DaemonClient> {
        const client = await super.client();
        return new Proxy(client, {
          get(target, property) {
            if (property !== 'call') return Reflect.get(target, property, target) as unknown;
            return async (method: Parameters<DaemonClient['call']>[0], params: never) => {
              if (method === 'mutation.apply') rmSync(notes);
              return target.call(method, params);
            };
          },
        });
      }
    }
    let printed = '';
    // oclif's `this.log` prints through console.log.
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      printed += `${format(...args)}\n`;
    });
    let failure: unknown;
    try {
      await AddWhileSomeoneEdits.run(
        [notes, '--yes', '--daemon', '-C', root],
        fileURLToPath(new URL('..', import.meta.url)),
      );
    } catch (error) {
      failure = error;
    } finally {
      log.mockRestore();
    }
    const preview = /Preview of register against revision (\d+):/.exec(printed);
    expect(preview, printed).not.toBeNull();
    const base = Number(preview![1]);
    const message = (failure as Error).message;
    const moved =
      /^The snapshot moved from revision (\d+) to (\d+) since the preview; the plan changed: registry change no longer planned: add assets\/text\/notes\.txt \(kind text\) \(and \d+ more\)\.$/m.exec(
        message,
      );
    expect(moved, message).not.toBeNull();
    expect(Number(moved![1])).toBe(base);
    expect(Number(moved![2])).toBeGreaterThan(base);
    expect(message).toContain('Hint: Preview again and apply with the new revision.');
    expect(failure).toMatchObject({ code: 'CONFLICT', oclif: { exit: 1 } });
    expect(registry(root).some((item) => item.path === 'assets/text/notes.txt')).toBe(false);
  });
});
