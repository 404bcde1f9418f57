import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { describe, test } from 'vitest';
import type { ApplyResult, AssetListItem, AuditRecord, Diagnostic, EventEnvelope, MethodResult, Plan } from '@packer/core/contract';
import { SAMPLE_DIVERGENCES } from '@packer/fixtures';
import { developerEnv, ndjson, packer, spawnPacker } from './support/packer-bin.js';
import { emptyFolder, fixtureProject, runningDaemonPid } from './support/temp-project.js';

// End-to-end: the real `packer` bin as a child process, against temp copies of the fixtures. Each test owns its
// project copy; `fixtureProject` stops the copy's daemon with `packer daemon stop` and removes it when the test
// ends. Tests are independent, so they run concurrently (each child process mostly waits on its daemon).

type StatusJson = { summary: MethodResult<'snapshot.summary'>; daemon: MethodResult<'daemon.health'> & { inProcess: boolean } };
type LsJson = { revision: number; total: number; items: AssetListItem[] };
type MutationJson = { plan: Plan; applied: boolean; result?: ApplyResult };
type ErrorJson = { error: { code: string; message: string; data: Record<string, unknown> } };
type CheckJson = MethodResult<'diagnostics.list'>;

const TIMEOUT = 60_000;

describe.concurrent('packer commands through the project daemon (no CI)', { timeout: TIMEOUT }, () => {
  test('status and ls answer by field, through one daemon started on demand', async ({ expect, onTestFinished }) => {
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

    const all = (await packer(root, ['ls', '--json'])).json<LsJson>();
    expect(all.total).toBe(45);
    expect(all.items).toHaveLength(45);

    const audio = (await packer(root, ['ls', '--kind', 'audio', '--json'])).json<LsJson>();
    expect(audio.items).toHaveLength(6);
    expect(new Set(audio.items.map((item) => item.kind))).toEqual(new Set(['audio']));

    const ui = (await packer(root, ['ls', '--tag', 'ui', '--json'])).json<LsJson>();
    expect(ui.items).toHaveLength(5);
    for (const item of ui.items) expect('tags' in item && item.tags).toContain('ui');

    const sprites = (await packer(root, ['ls', '--status', 'present', 'assets/sprites', '--json'])).json<LsJson>();
    expect(sprites.items).toHaveLength(21);
    for (const item of sprites.items) {
      expect(item.path.startsWith('assets/sprites/')).toBe(true);
      expect(item.status).toBe('present');
    }
    expect((await packer(root, ['ls', '--status', 'missing', '--json'])).json<LsJson>().items).toEqual([]);

    // A prefix is a path like any other: typed relative to the current folder.
    const fromSubfolder = (await packer(path.join(root, 'assets/sprites'), ['ls', 'ui', '--json'])).json<LsJson>();
    expect(fromSubfolder.items.map((item) => item.path).sort()).toEqual([
      'assets/sprites/ui/button.png',
      'assets/sprites/ui/cursor.png',
      'assets/sprites/ui/icon-settings.png',
      'assets/sprites/ui/panel.png',
    ]);

    const table = await packer(root, ['ls', '--kind', 'audio']);
    expect(table.stdout.trim().split('\n')).toHaveLength(6);
    expect(table.stdout).toContain('assets/audio/sfx/coin.wav');
  });

  test('show by path and by id; an unknown asset is NOT_FOUND', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);

    const byPath = await packer(root, ['show', 'assets/sprites/ui/panel.png', '--json']);
    expect(byPath.code).toBe(0);
    const { asset } = byPath.json<MethodResult<'assets.get'>>();
    expect(asset).toMatchObject({ path: 'assets/sprites/ui/panel.png', kind: 'image', status: 'present', settings: { premultiply: true }, tags: ['ui'] });
    expect(asset.observation?.size).toBeGreaterThan(0);

    const byId = (await packer(root, ['show', asset.id, '--json'])).json<MethodResult<'assets.get'>>();
    expect(byId.asset.id).toBe(asset.id);
    expect(byId.asset.path).toBe('assets/sprites/ui/panel.png');

    const fromSubfolder = (await packer(path.join(root, 'assets/sprites/ui'), ['show', 'panel.png', '--json'])).json<MethodResult<'assets.get'>>();
    expect(fromSubfolder.asset.id).toBe(asset.id);

    const human = await packer(root, ['show', asset.id]);
    expect(human.stdout).toContain('assets/sprites/ui/panel.png');
    expect(human.stdout).toMatch(new RegExp(`id\\s+${asset.id}`));
    expect(human.stdout).toMatch(/settings\s+\{"premultiply":true\}/);

    const unknown = await packer(root, ['show', 'assets/nope.png']);
    expect(unknown.code).toBe(1);
    expect(unknown.errorText).toContain('No asset has path assets/nope.png.');
    expect(unknown.errorText).toContain('Code: NOT_FOUND');
    expect(unknown.errorText).toMatch(/Hint: .*packer ls/);

    const unknownJson = await packer(root, ['show', 'a_01JQZZZZZZZZZZZZZZZZZZZZZZ', '--json']);
    expect(unknownJson.code).toBe(1);
    const { error } = unknownJson.json<ErrorJson>();
    expect(error.code).toBe('NOT_FOUND');
    expect(error.data.ref).toBe('a_01JQZZZZZZZZZZZZZZZZZZZZZZ');
    expect(typeof error.data.hint).toBe('string');
  });

  test('add (--dry-run changes nothing, --tag), mv and rm --delete-file move files and registry together', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const registryFile = path.join(root, 'packer.registry.json');
    writeFileSync(path.join(root, 'assets/text/notes.txt'), 'new notes\n');
    const registryBefore = await readFile(registryFile, 'utf8');

    const dryRun = await packer(root, ['add', 'assets/text/notes.txt', '--tag', 'fresh', '--dry-run', '--json']);
    expect(dryRun.code).toBe(0);
    const preview = dryRun.json<MutationJson>();
    expect(preview.applied).toBe(false);
    expect(preview.result).toBeUndefined();
    expect(preview.plan.registryMutations).toHaveLength(1);
    expect(preview.plan.registryMutations[0]).toMatchObject({ op: 'add', entry: { path: 'assets/text/notes.txt', kind: 'text', tags: ['fresh'] } });
    expect(await readFile(registryFile, 'utf8')).toBe(registryBefore);
    const untracked = (await packer(root, ['ls', '--status', 'untracked', '--json'])).json<LsJson>();
    expect(untracked.items.map((item) => item.path)).toEqual(['assets/text/notes.txt']);

    const added = await packer(root, ['add', 'assets/text/notes.txt', '--tag', 'fresh', '--yes', '--json']);
    expect(added.code).toBe(0);
    const addResult = added.json<MutationJson>();
    expect(addResult.applied).toBe(true);
    expect(addResult.result!.revisionAfter).toBeGreaterThan(addResult.result!.revisionBefore);
    const fresh = (await packer(root, ['ls', '--tag', 'fresh', '--json'])).json<LsJson>();
    expect(fresh.items.map((item) => item.path)).toEqual(['assets/text/notes.txt']);
    const id = (fresh.items[0] as { id: string }).id;
    expect(JSON.parse(await readFile(registryFile, 'utf8')).assets).toContainEqual(expect.objectContaining({ id, path: 'assets/text/notes.txt', tags: ['fresh'] }));

    const moved = await packer(root, ['mv', 'assets/text/notes.txt', 'assets/text/locale/notes.txt', '--yes']);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain('move   assets/text/notes.txt → assets/text/locale/notes.txt');
    expect(moved.stdout).toMatch(/Applied: revision \d+ → \d+/);
    expect(existsSync(path.join(root, 'assets/text/notes.txt'))).toBe(false);
    expect(readFileSync(path.join(root, 'assets/text/locale/notes.txt'), 'utf8')).toBe('new notes\n');
    // The id survives the move.
    expect((await packer(root, ['show', 'assets/text/locale/notes.txt', '--json'])).json<MethodResult<'assets.get'>>().asset.id).toBe(id);

    const removed = await packer(root, ['rm', id, '--delete-file', '--yes', '--json']);
    expect(removed.code).toBe(0);
    const removal = removed.json<MutationJson>();
    expect(removal.applied).toBe(true);
    expect(removal.plan.filesystemMutations).toEqual([{ op: 'delete', path: 'assets/text/locale/notes.txt' }]);
    expect(existsSync(path.join(root, 'assets/text/locale/notes.txt'))).toBe(false);
    expect((await packer(root, ['show', id, '--json'])).json<ErrorJson>().error.code).toBe('NOT_FOUND');
  });

  test('set parses key=value types, --tag/--untag; bad settings and outside paths are blocked', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);

    const set = await packer(root, ['set', 'assets/sprites/ui/button.png', 'premultiply=true', 'maxSize=512', '--tag', 'hud', '--untag', 'ui', '--yes', '--json']);
    expect(set.code).toBe(0);
    expect(set.json<MutationJson>().applied).toBe(true);
    const button = (await packer(root, ['show', 'assets/sprites/ui/button.png', '--json'])).json<MethodResult<'assets.get'>>().asset;
    // true is a boolean and 512 a number, as the kind declares them.
    expect(button.settings).toEqual({ premultiply: true, maxSize: 512 });
    expect(button.tags).toEqual(['hud']);

    // `key=` removes a setting; a string stays a string.
    expect((await packer(root, ['set', 'assets/text/locale/de.txt', 'encoding=latin-1', '--yes'])).code).toBe(0);
    expect((await packer(root, ['set', 'assets/sprites/ui/button.png', 'maxSize=', '--yes'])).code).toBe(0);
    const [de, buttonAfter] = await Promise.all([
      packer(root, ['show', 'assets/text/locale/de.txt', '--json']),
      packer(root, ['show', 'assets/sprites/ui/button.png', '--json']),
    ]);
    expect(de.json<MethodResult<'assets.get'>>().asset.settings).toEqual({ encoding: 'latin-1' });
    expect(buttonAfter.json<MethodResult<'assets.get'>>().asset.settings).toEqual({ premultiply: true });

    const badKey = await packer(root, ['set', 'assets/sprites/ui/button.png', 'bogus=1', '--yes', '--json']);
    expect(badKey.code).toBe(1);
    const badKeyError = badKey.json<ErrorJson>().error;
    expect(badKeyError.code).toBe('BLOCKED');
    const blockers = badKeyError.data.blockers as Diagnostic[];
    expect(blockers.map((item) => item.code)).toEqual(['INVALID_SETTINGS']);
    expect(blockers[0]!.message).toContain('"bogus"');

    const badValue = await packer(root, ['set', 'assets/sprites/ui/button.png', 'maxSize=big', '--yes']);
    expect(badValue.code).toBe(1);
    expect(badValue.stdout).toContain('INVALID_SETTINGS');
    expect(badValue.stdout).toContain('"maxSize" must be a number, got "big"');
    expect(badValue.errorText).toContain('Not applied: the plan has 1 blocker(s).');
    expect(badValue.errorText).toContain('Code: BLOCKED');

    const outside = await packer(root, ['mv', '../x.png', 'assets/y.png', '--yes', '--json']);
    expect(outside.code).toBe(1);
    const outsideError = outside.json<ErrorJson>().error;
    expect(outsideError.code).toBe('BLOCKED');
    expect((outsideError.data.blockers as Diagnostic[]).map((item) => item.code)).toContain('PATH_OUTSIDE_PROJECT');
    const outsideHuman = await packer(root, ['mv', '../x.png', 'assets/y.png', '--yes']);
    expect(outsideHuman.code).toBe(1);
    expect(outsideHuman.stdout).toContain('PATH_OUTSIDE_PROJECT');
    expect(outsideHuman.errorText).toContain('Code: BLOCKED');
  });

  test('check fails with blockers; reconcile --dry-run previews, --yes applies; then check passes', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game-divergent', onTestFinished);
    const registryFile = path.join(root, 'packer.registry.json');
    const registryBefore = await readFile(registryFile, 'utf8');

    const before = await packer(root, ['check', '--json']);
    expect(before.code).toBe(1);
    const beforeJson = before.json<CheckJson>();
    expect(beforeJson.blockers).toBeGreaterThan(0);
    const paths = (code: string, items: Diagnostic[]) => items.filter((item) => item.code === code).map((item) => item.path).sort();
    // Both missing paths are blockers (MISSING_FILE, or MOVED_OUTSIDE for the moved one when the packer recognises it).
    expect([...paths('MISSING_FILE', beforeJson.items), ...paths('MOVED_OUTSIDE', beforeJson.items)].sort()).toEqual([SAMPLE_DIVERGENCES.movedFrom, SAMPLE_DIVERGENCES.missing].sort());
    expect(paths('UNTRACKED_FILE', beforeJson.items)).toContain(SAMPLE_DIVERGENCES.untracked);

    const human = await packer(root, ['check']);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('MISSING_FILE');
    expect(human.stdout).toMatch(/revision \d+: \d+ blockers/);

    const dryRun = await packer(root, ['reconcile', '--dry-run', '--json']);
    expect(dryRun.code).toBe(0);
    const preview = dryRun.json<MutationJson>();
    expect(preview.applied).toBe(false);
    expect(preview.plan.blockers).toEqual([]);
    const touched = preview.plan.registryMutations.map((change) => (change.op === 'update' ? change.after.path : change.entry.path));
    expect(touched).toEqual(expect.arrayContaining([SAMPLE_DIVERGENCES.missing, SAMPLE_DIVERGENCES.untracked, SAMPLE_DIVERGENCES.movedTo]));
    expect(await readFile(registryFile, 'utf8')).toBe(registryBefore);

    const applied = await packer(root, ['reconcile', '--yes', '--json']);
    expect(applied.code).toBe(0);
    const result = applied.json<MutationJson>();
    expect(result.applied).toBe(true);
    expect(result.result!.revisionAfter).toBeGreaterThan(preview.plan.baseRevision);

    const after = await packer(root, ['check', '--json']);
    expect(after.code).toBe(0);
    const afterJson = after.json<CheckJson>();
    expect(afterJson.blockers).toBe(0);
    expect(afterJson.items.filter((item) => ['MISSING_FILE', 'MOVED_OUTSIDE', 'UNTRACKED_FILE'].includes(item.code))).toEqual([]);
    const adopted = (await packer(root, ['ls', 'assets/sprites/enemies/cave', '--json'])).json<LsJson>();
    expect(adopted.items.map((item) => [item.path, item.status])).toEqual([[SAMPLE_DIVERGENCES.movedTo, 'present']]);
  });

  test('events (replay, --since, --follow --json) and history', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);

    // The follower starts the daemon on demand and replays the recent log, so it has subscribed once it prints daemon.started.
    const follower = spawnPacker(root, ['events', '--follow', '--json']);
    onTestFinished(async () => {
      if (follower.exitCode === null && follower.signalCode === null) follower.kill('SIGKILL');
    });
    const followed: EventEnvelope[] = [];
    let buffered = '';
    let notify = (): void => undefined;
    follower.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.trim()) followed.push(JSON.parse(line) as EventEnvelope);
      notify();
    });
    const followerExit = once(follower, 'exit');
    const printed = (predicate: (event: EventEnvelope) => boolean, what: string) =>
      new Promise<EventEnvelope>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`events --follow never printed ${what}; got ${followed.map((event) => event.type).join(', ')}`)), 20_000);
        const check = (): void => {
          const found = followed.find(predicate);
          if (found) {
            clearTimeout(timer);
            resolve(found);
          }
        };
        notify = check;
        check();
      });
    await printed((event) => event.type === 'daemon.started', 'daemon.started');

    const set = await packer(root, ['set', 'assets/audio/sfx/coin.wav', '--tag', 'loud', '--yes', '--json']);
    expect(set.code).toBe(0);
    const { operationId } = set.json<MutationJson>().result!;
    const completed = await printed((event) => event.type === 'completed' && event.operationId === operationId, `the completed event of ${operationId}`);
    const lifecycle = followed.filter((event) => event.operationId === operationId).map((event) => event.type);
    expect(lifecycle).toEqual(['queued', 'started', 'completed']);
    follower.kill('SIGINT');
    const [exitCode] = (await followerExit) as [number | null];
    expect(exitCode).toBe(0);

    const replay = await packer(root, ['events', '--json']);
    expect(replay.code).toBe(0);
    const replayed = ndjson<EventEnvelope>(replay.stdout);
    expect(replayed.map((event) => event.cursor)).toContain(completed.cursor);
    const queued = replayed.find((event) => event.type === 'queued' && event.operationId === operationId)!;
    expect(queued.payload).toMatchObject({ kind: 'update', summary: expect.stringContaining('assets/audio/sfx/coin.wav') });

    const since = ndjson<EventEnvelope>((await packer(root, ['events', '--since', queued.cursor, '--json'])).stdout);
    const seq = (cursor: string) => Number(cursor.split('.')[1]);
    expect(since.length).toBeGreaterThan(0);
    for (const event of since) expect(seq(event.cursor)).toBeGreaterThan(seq(queued.cursor));
    expect(since.filter((event) => event.operationId === operationId).map((event) => event.type)).toEqual(['started', 'completed']);

    const human = await packer(root, ['events']);
    expect(human.stdout).toMatch(new RegExp(`completed\\s+${operationId}#3 revision \\d+`));

    const history = await packer(root, ['history', '--json']);
    expect(history.code).toBe(0);
    const record = history.json<{ items: AuditRecord[] }>().items.find((item) => item.operationId === operationId);
    expect(record).toMatchObject({ result: 'applied', scope: { type: 'update' }, actor: { client: 'cli:set' } });
    expect(record!.revisionAfter).toBeGreaterThan(record!.revisionBefore);
    const historyText = await packer(root, ['history']);
    expect(historyText.stdout).toMatch(new RegExp(`applied\\s+update\\s+r\\d+→r\\d+\\s+cli:set.*${operationId}`));
  });

  test('daemon start, status, restart, logs and stop', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    expect((await packer(root, ['daemon', 'status', '--json'])).json()).toEqual({ running: false });

    const start = await packer(root, ['daemon', 'start', '--json']);
    expect(start.code).toBe(0);
    const { pid } = start.json<{ pid: number; projectRoot: string }>();
    expect(start.json<{ projectRoot: string }>().projectRoot).toBe(root);
    expect(runningDaemonPid(root)).toBe(pid);

    const status = (await packer(root, ['daemon', 'status', '--json'])).json<{ running: boolean; health: MethodResult<'daemon.health'> }>();
    expect(status.running).toBe(true);
    expect(status.health).toMatchObject({ pid, ready: true, live: true });
    const statusText = await packer(root, ['daemon', 'status']);
    expect(statusText.stdout).toMatch(new RegExp(`running: pid ${pid}, up .*, ready, revision \\d+`));

    const restart = (await packer(root, ['daemon', 'restart', '--json'])).json<{ pid: number; previousPid: number }>();
    expect(restart.previousPid).toBe(pid);
    expect(restart.pid).not.toBe(pid);
    expect(runningDaemonPid(root)).toBe(restart.pid);
    expect(() => process.kill(pid, 0)).toThrow();

    const logs = (await packer(root, ['daemon', 'logs', '--json'])).json<{ file: string; entries: { message?: string; pid?: number }[] }>();
    expect(logs.file).toBe(path.join(root, '.packer/daemon.log'));
    expect(logs.entries).toContainEqual(expect.objectContaining({ message: 'daemon ready', pid: restart.pid }));
    const logsText = await packer(root, ['daemon', 'logs', '-n', '1']);
    expect(logsText.stdout.trim().split('\n')).toHaveLength(1);

    const stop = await packer(root, ['daemon', 'stop', '--json']);
    expect(stop.json()).toEqual({ stopped: true, pid: restart.pid });
    expect(runningDaemonPid(root)).toBeUndefined();
    expect((await packer(root, ['daemon', 'status', '--json'])).json()).toEqual({ running: false });
    const again = await packer(root, ['daemon', 'stop']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No packer daemon was running.');
  });

  test('usage errors exit 2 before touching the project', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const unknownFlag = await packer(root, ['ls', '--bogus']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.errorText).toContain('Nonexistent flag: --bogus');
    const missingArg = await packer(root, ['show']);
    expect(missingArg.code).toBe(2);
    expect(missingArg.errorText).toContain('Missing 1 required arg');
    const badOption = await packer(root, ['check', '--severity', 'fatal']);
    expect(badOption.code).toBe(2);
    const badPair = await packer(root, ['set', 'assets/sprites/ui/button.png', 'premultiply']);
    expect(badPair.code).toBe(2);
    expect(badPair.errorText).toContain('Expected key=value, got "premultiply".');
    expect(runningDaemonPid(root)).toBeUndefined();
  });

  test('a broken packer.json fails every command with a message naming the file and the field', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    writeFileSync(path.join(root, 'packer.json'), JSON.stringify({ name: 5 }));

    const status = await packer(root, ['status']);
    expect(status.code).toBe(1);
    expect(status.errorText).toContain('packer.json: field "name" is invalid');
    expect(status.errorText).toContain('Code: INVALID_CONFIG');

    const json = await packer(root, ['ls', '--json']);
    expect(json.code).toBe(1);
    const { error } = json.json<ErrorJson>();
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.data.field).toBe('name');
    expect(error.data.file).toBe(path.join(root, 'packer.json'));

    const inProcess = await packer(root, ['check', '--no-daemon']);
    expect(inProcess.code).toBe(1);
    expect(inProcess.errorText).toContain('field "name"');

    writeFileSync(path.join(root, 'packer.json'), '{ "name": "sample-game", ');
    const notJson = await packer(root, ['add', 'assets', '--yes']);
    expect(notJson.code).toBe(1);
    expect(notJson.errorText).toMatch(/packer\.json is not valid JSON at line 1/);
    // The daemon refused to start on a bad config; nothing is left running.
    expect(runningDaemonPid(root)).toBeUndefined();
  });

  test('init creates a project in an empty folder, git-ignores .packer/ and never overwrites', async ({ expect, onTestFinished }) => {
    const folder = await emptyFolder(onTestFinished);
    writeFileSync(path.join(folder, '.gitignore'), 'node_modules\n');

    const init = await packer(folder, ['init', '--json']);
    expect(init.code).toBe(0);
    const result = init.json<{ root: string; created: string[] }>();
    expect(result.root).toBe(folder);
    expect(result.created).toEqual(expect.arrayContaining(['packer.json', 'packer.registry.json']));
    expect(readFileSync(path.join(folder, '.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['node_modules', '.packer/']));
    const config = readFileSync(path.join(folder, 'packer.json'), 'utf8');
    expect(JSON.parse(config).name).toBe(path.basename(folder));

    const again = await packer(folder, ['init']);
    expect(again.code).toBe(1);
    expect(again.errorText).toContain('packer.json already exists; packer init never overwrites a project.');
    expect(again.errorText).toContain('Code: INVALID_CONFIG');
    const againJson = await packer(folder, ['init', '--json']);
    expect(againJson.code).toBe(1);
    expect(againJson.json<ErrorJson>().error).toMatchObject({ code: 'INVALID_CONFIG', data: { file: path.join(folder, 'packer.json') } });
    expect(readFileSync(path.join(folder, 'packer.json'), 'utf8')).toBe(config);

    const named = await packer(folder, ['init', 'game', '--name', 'My Game']);
    expect(named.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(folder, 'game/packer.json'), 'utf8')).name).toBe('My Game');
    const fresh = (await packer(path.join(folder, 'game'), ['status', '--json', '--no-daemon'])).json<StatusJson>();
    expect(fresh.summary.projectName).toBe('My Game');
    expect(fresh.summary.summary.assets).toBe(0);
  });
});

describe.concurrent('packer commands in-process', { timeout: TIMEOUT }, () => {
  test('--no-daemon runs the packer in this process and leaves no daemon behind', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    writeFileSync(path.join(root, 'assets/text/extra.txt'), 'extra\n');

    const status = (await packer(root, ['status', '--json', '--no-daemon'])).json<StatusJson>();
    expect(status.daemon.inProcess).toBe(true);
    expect(status.summary.summary.assets).toBe(45);
    expect(status.summary.summary.untracked).toBe(1);
    expect((await packer(root, ['status', '--no-daemon'])).stdout).toContain('daemon: not used (in-process run)');

    const added = await packer(root, ['add', 'assets/text/extra.txt', '--tag', 'extra', '--yes', '--json', '--no-daemon']);
    expect(added.code).toBe(0);
    expect(added.json<MutationJson>().applied).toBe(true);
    const listed = (await packer(root, ['ls', '--tag', 'extra', '--json', '--no-daemon'])).json<LsJson>();
    expect(listed.items.map((item) => item.path)).toEqual(['assets/text/extra.txt']);
    expect((await packer(root, ['check', '--no-daemon'])).code).toBe(0);

    expect(runningDaemonPid(root)).toBeUndefined();
    expect((await packer(root, ['daemon', 'status', '--json'])).json()).toEqual({ running: false });
  });

  test('with CI set, commands run in-process unless PACKER_DAEMON=1', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const ci = developerEnv({ CI: '1' });

    const status = (await packer(root, ['status', '--json'], { env: ci })).json<StatusJson>();
    expect(status.daemon.inProcess).toBe(true);
    const set = await packer(root, ['set', 'assets/sprites/ui/cursor.png', 'maxSize=64', '--yes', '--json'], { env: ci });
    expect(set.code).toBe(0);
    const { operationId } = set.json<MutationJson>().result!;
    // In-process runs share the project's event log and audit log with the daemon.
    const events = ndjson<EventEnvelope>((await packer(root, ['events', '--json'], { env: ci })).stdout);
    expect(events.filter((event) => event.operationId === operationId).map((event) => event.type)).toEqual(['queued', 'started', 'completed']);
    expect(runningDaemonPid(root)).toBeUndefined();
    expect((await packer(root, ['daemon', 'status'], { env: ci })).stdout).toContain('No packer daemon is running for this project.');

    const opted = (await packer(root, ['status', '--json'], { env: developerEnv({ CI: '1', PACKER_DAEMON: '1' }) })).json<StatusJson>();
    expect(opted.daemon.inProcess).toBe(false);
    expect(runningDaemonPid(root)).toBe(opted.daemon.pid);
  });
});
