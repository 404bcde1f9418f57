import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { findNginx, startNginxCache, type NginxCache } from '@packer/fixtures';
import type { BuildReport, MethodResult } from '@packer/core/contract';
import { developerEnv, packer } from './support/packer-bin.js';
import { fixtureProject } from './support/temp-project.js';

// The real `packer` bin, the daemon it starts and a real nginx: secrets given through the environment reach the
// server and nowhere else (not daemon.log, the event log or any file under .packer/, nor --json or terminal output).

const NGINX = findNginx();
if (!NGINX)
  console.warn(
    '\n!!! nginx is not installed: the remote cache e2e tests are SKIPPED (apt-get install nginx; .ci/run installs it) !!!\n',
  );
const TIMEOUT = 120_000;
type StatusJson = { daemon: MethodResult<'daemon.health'> };

let nginx: NginxCache;
beforeAll(async () => {
  if (NGINX) nginx = await startNginxCache();
});
afterAll(async () => {
  await nginx?.close();
});

/** Every file the packer wrote under `.packer/`, except the output cache's bytes (processed assets). */
function packerFilesText(root: string): string {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (file === path.join(root, '.packer', 'cache', 'segments')) continue;
      const stats = statSync(file);
      if (stats.isDirectory()) walk(file);
      else if (stats.isFile()) out.push(readFileSync(file).toString('latin1'));
    }
  };
  walk(path.join(root, '.packer'));
  return out.join('\n');
}

describe.skipIf(!NGINX)('remote cache through the real bin and daemon', { timeout: TIMEOUT }, () => {
  test('a header secret from the environment is sent, and appears in no log, event, file or output', async ({
    expect,
    onTestFinished,
  }) => {
    const { token } = nginx.credentials;
    const env = developerEnv({
      PACKER_REMOTE_CACHE: nginx.url('token'),
      PACKER_REMOTE_CACHE_HEADER: `X-Cache-Token: ${token}`,
    });
    const first = await fixtureProject('sample-game', onTestFinished);
    const a = await packer(first, ['build', '--json'], { env, timeoutMs: 60_000 });
    expect(a.code, a.stderr).toBe(0);
    const reportA = a.json<BuildReport>();
    expect(reportA.remote).toMatchObject({ url: nginx.url('token'), errors: 0 });
    expect(reportA.remote!.uploads).toBeGreaterThan(0);

    const second = await fixtureProject('sample-game', onTestFinished);
    const b = await packer(second, ['build', '--json'], { env, timeoutMs: 60_000 });
    const reportB = b.json<BuildReport>();
    expect(reportB.counts).toEqual({ processed: 0, cached: 37, failed: 0, passThrough: 8 });
    expect(reportB.remote!.hits).toBe(reportA.remote!.uploads);
    const human = await packer(second, ['build'], { env, timeoutMs: 60_000 });
    expect(human.stdout).toMatch(/^remote http:\/\/127\.0\.0\.1:\d+\/token: 0 hits · 0 misses/m);
    const events = await packer(second, ['events', '--json'], { env });
    const status = await packer(second, ['status', '--json'], { env });
    expect(status.json<StatusJson>().daemon.remoteCache).toMatchObject({
      state: 'ok',
      mode: 'read-write',
      url: nginx.url('token'),
    });

    expect(readFileSync(nginx.accessLog, 'utf8')).toContain(`token=${token}`);
    for (const run of [a, b, human, events, status]) expect(run.stdout + run.stderr).not.toContain(token);
    for (const root of [first, second]) expect(packerFilesText(root)).not.toContain(token);
  });

  test('basic auth in the URL: never logged, also when the server goes away (a warning in the build and in health)', async ({
    expect,
    onTestFinished,
  }) => {
    const { user, password } = nginx.credentials;
    const env = developerEnv({ PACKER_REMOTE_CACHE: nginx.url('basic') });
    const root = await fixtureProject('sample-game', onTestFinished);
    const a = await packer(root, ['build', '--json'], { env, timeoutMs: 60_000 });
    expect(a.code, a.stderr).toBe(0);
    expect(a.json<BuildReport>().remote).toMatchObject({ url: `http://***@127.0.0.1:${nginx.port}/basic`, errors: 0 });

    // The server goes away: the next build (empty local cache) completes locally with a REMOTE_CACHE warning.
    const pruned = await packer(root, ['cache', 'prune', '--yes', '--json'], { env });
    expect(pruned.json<MethodResult<'cache.prune'>>().stats.entries).toBe(0);
    // Without its packs too: up-to-date packs would make the next build a no-op that never asks any cache.
    rmSync(path.join(root, 'build'), { recursive: true, force: true });
    nginx.kill();
    onTestFinished(() => nginx.start());
    const b = await packer(root, ['build', '--json'], { env, timeoutMs: 60_000 });
    expect(b.code, b.stderr).toBe(0);
    const report = b.json<BuildReport>();
    expect(report.counts).toEqual({ processed: 37, cached: 0, failed: 0, passThrough: 8 });
    expect(report.warnings.some((warning) => warning.code === 'REMOTE_CACHE')).toBe(true);
    const status = await packer(root, ['status', '--json'], { env });
    const health = status.json<StatusJson>().daemon.remoteCache!;
    expect(health.state).toBe('paused');
    expect(health.warning).toMatch(/^remote-cache: http:\/\/\*\*\*@127\.0\.0\.1:\d+\/basic: /);
    const text = await packer(root, ['status'], { env });
    expect(text.stdout).toMatch(/^warning: remote-cache: /m);
    const events = await packer(root, ['events', '--json'], { env });
    expect(events.stdout).toContain('REMOTE_CACHE');

    for (const run of [a, pruned, b, status, text, events]) expect(run.stdout + run.stderr).not.toContain(password);
    expect(packerFilesText(root)).not.toContain(password);
    expect(packerFilesText(root)).not.toContain(`${user}:`);
  });

  test('cache stats and prune: prune needs --yes without a terminal, then the next build processes everything again', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const env = developerEnv();
    expect((await packer(root, ['build', '--json'], { env, timeoutMs: 60_000 })).code).toBe(0);
    const stats = (await packer(root, ['cache', 'stats', '--json'], { env })).json<MethodResult<'cache.stats'>>();
    expect(stats).toMatchObject({ entries: 45, maxBytes: 2 * 1024 ** 3 });
    expect(stats.liveBytes).toBeGreaterThan(0);
    const human = await packer(root, ['cache', 'stats'], { env });
    expect(human.stdout).toMatch(/^ {2}45 outputs, .* stored of a 2\.0 GiB cap/m);

    const refused = await packer(root, ['cache', 'prune'], { env });
    expect(refused.code).toBe(2);
    expect(refused.errorText).toContain('CONFIRMATION_REQUIRED');
    expect(
      (await packer(root, ['cache', 'stats', '--json'], { env })).json<MethodResult<'cache.stats'>>().entries,
    ).toBe(45);

    const pruned = (await packer(root, ['cache', 'prune', '--yes', '--json'], { env })).json<
      MethodResult<'cache.prune'>
    >();
    expect(pruned).toMatchObject({ removedEntries: 45, stats: { entries: 0, liveBytes: 0, diskBytes: 0 } });
    expect(pruned.freedBytes).toBeGreaterThan(0);
    // Up-to-date packs alone make a build a no-op; without them and without a cache, everything is processed again.
    const untouched = (await packer(root, ['build', '--json'], { env, timeoutMs: 60_000 })).json<BuildReport>();
    expect(untouched.counts.processed).toBe(0);
    rmSync(path.join(root, 'build'), { recursive: true, force: true });
    const rebuilt = (await packer(root, ['build', '--json'], { env, timeoutMs: 60_000 })).json<BuildReport>();
    expect(rebuilt.counts.processed).toBe(45);
  });
});
