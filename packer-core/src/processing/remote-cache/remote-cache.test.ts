import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { copyFixture, findNginx, startNginxCache, type NginxCache } from '@packer/fixtures';
import type { BuildReport } from '../../contract/build-schema.js';
import { packFilesOf } from '../../packs/pack-files.js';
import { verifyPackFiles } from '../../packs/pack-queries.js';
import { buildOutputs, removeTestProjects, trackTestProject } from '../../testing/build-test-project.js';
import { Workspace } from '../../workspace/workspace.js';
import type { BuildProgress } from '../build-progress.js';
import { runBuild } from '../run-build.js';
import { remoteCacheHealth } from './remote-cache.js';

// A real nginx (WebDAV PUT) on a loopback port, started per test with a config the helper writes; no mock server.
const NGINX = findNginx();
if (!NGINX)
  console.warn(
    '\n!!! nginx is not installed: the remote cache tests are SKIPPED (apt-get install nginx; .ci/run installs it) !!!\n',
  );

const servers: NginxCache[] = [];
const workspaces: Workspace[] = [];
afterEach(async () => {
  for (const workspace of workspaces.splice(0)) await workspace.close();
  for (const server of servers.splice(0)) await server.close();
});
afterAll(removeTestProjects);

async function server(): Promise<NginxCache> {
  const started = await startNginxCache();
  servers.push(started);
  return started;
}

/** A clean copy of the sample game whose remote cache is set from the environment, as CI would. */
async function project(env: NodeJS.ProcessEnv): Promise<Workspace> {
  const workspace = await Workspace.open(trackTestProject(await copyFixture('sample-game')), { env });
  workspaces.push(workspace);
  return workspace;
}

function packs(root: string): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(buildOutputs(root)).filter(([name]) => name.endsWith('.pack')));
}

function expectSamePacks(a: Workspace, b: Workspace): void {
  const [left, right] = [packs(a.root), packs(b.root)];
  expect(Object.keys(right)).toEqual(Object.keys(left));
  expect(Object.keys(left)).toHaveLength(6);
  for (const name of Object.keys(left)) expect(right[name]!.equals(left[name]!), name).toBe(true);
}

async function expectVerified(workspace: Workspace): Promise<void> {
  for (const rule of workspace.config.packs)
    expect((await verifyPackFiles(packFilesOf(workspace.root, workspace.config, rule.name))).ok, rule.name).toBe(true);
}

function files(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Every string a consumer of the build sees: the report and every progress event, as JSON. */
function seen(report: BuildReport, progress: BuildProgress[]): string {
  return JSON.stringify({ report, progress });
}

describe.skipIf(!NGINX)('remote cache against a real nginx', { timeout: 60_000 }, () => {
  it('a second clean copy with an empty local cache takes every output from the remote: 0 processed, byte-identical packs', async () => {
    const nginx = await server();
    const env = { PACKER_REMOTE_CACHE: nginx.url('open') };
    const first = await project(env);
    const a = await runBuild(first);
    // The sample game's 8 `copy` assets (audio) are their own output: pass-through, never asked for nor uploaded.
    expect(a.counts).toEqual({ processed: 37, cached: 0, failed: 0, passThrough: 8 });
    expect(a.remote).toMatchObject({ url: nginx.url('open'), mode: 'read-write', hits: 0, errors: 0, state: 'ok' });
    expect(a.remote!.uploads).toBe(a.remote!.misses);
    expect(a.remote!.bytesUp).toBeGreaterThan(0);
    // Blobs first, then the action results: one AC per distinct output, a CAS blob per non pass-through one.
    expect(files(path.join(nginx.root, 'open', 'ac'))).toHaveLength(a.remote!.uploads);
    expect(files(path.join(nginx.root, 'open', 'cas')).length).toBeGreaterThan(0);

    const second = await project(env);
    const progress: BuildProgress[] = [];
    const logBefore = readFileSync(nginx.accessLog, 'utf8').length;
    const b = await runBuild(second, { onProgress: (item) => progress.push(item) });
    expect(b.counts).toEqual({ processed: 0, cached: 37, failed: 0, passThrough: 8 });
    // One action result request per output that is not pass-through, and no more.
    const requests = readFileSync(nginx.accessLog, 'utf8').slice(logBefore).split('\n').filter(Boolean);
    expect(requests.filter((line) => line.startsWith('GET /open/ac/'))).toHaveLength(37);
    expect(b.remote).toMatchObject({ hits: a.remote!.uploads, misses: 0, uploads: 0, bytesUp: 0, errors: 0 });
    expect(b.remote!.bytesDown).toBeGreaterThan(0);
    expect(b.warnings).toEqual([]);
    expect(progress.at(-1)!.remote).toMatchObject({ hits: a.remote!.uploads });
    expectSamePacks(first, second);
    await expectVerified(second);
    expect(remoteCacheHealth(second.root, second.config.remoteCache)).toMatchObject({
      state: 'ok',
      url: nginx.url('open'),
    });
  });

  it('a blob corrupted on the server is detected, not packed: rebuilt locally with a REMOTE_CACHE warning, packs identical and verified', async () => {
    const nginx = await server();
    const env = { PACKER_REMOTE_CACHE: nginx.url('open') };
    const first = await project(env);
    await runBuild(first);
    // Damage one blob in place: same length, one byte flipped (a size check alone would not see it).
    const casDir = path.join(nginx.root, 'open', 'cas');
    const victim = files(casDir).sort()[0]!;
    const bytes = readFileSync(path.join(casDir, victim));
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(path.join(casDir, victim), bytes);
    // And one action result that is not a packer action result at all.
    const acDir = path.join(nginx.root, 'open', 'ac');
    const badAc = files(acDir).sort()[0]!;
    writeFileSync(path.join(acDir, badAc), '{"format":"something-else"}');

    const second = await project(env);
    const progress: BuildProgress[] = [];
    const b = await runBuild(second, { onProgress: (item) => progress.push(item) });
    expect(b.counts.failed).toBe(0);
    expect(b.counts.processed).toBeGreaterThanOrEqual(2);
    const warnings = b.warnings.filter((warning) => warning.code === 'REMOTE_CACHE');
    expect(warnings.map((warning) => warning.message).join('\n')).toMatch(/failed verification/);
    expect(warnings.map((warning) => warning.message).join('\n')).toMatch(/is not a packer action result/);
    expect(progress.at(-1)!.warnings?.some((warning) => warning.code === 'REMOTE_CACHE')).toBe(true);
    expectSamePacks(first, second);
    await expectVerified(second);
    // Read-write: the local rebuild was uploaded again, so the server holds good bytes once more.
    const { createHash } = await import('node:crypto');
    expect(
      createHash('sha256')
        .update(readFileSync(path.join(casDir, victim)))
        .digest('hex'),
    ).toBe(victim);
  });

  it('action results naming blobs the server does not hold: packs laid out from them while downloads ran are laid out again from the local rebuilds, byte-identical', async () => {
    const nginx = await server();
    const env = { PACKER_REMOTE_CACHE: nginx.url('open') };
    const first = await project(env);
    await runBuild(first);
    // Every blob action result now names another digest and size: the pack writer starts from what they say, then
    // every download is a 404 (a miss) and the asset is processed here, with an output unlike the one announced.
    const acDir = path.join(nginx.root, 'open', 'ac');
    let rewritten = 0;
    for (const name of files(acDir)) {
      const value = JSON.parse(readFileSync(path.join(acDir, name), 'utf8')) as {
        output: { type: string; digest: string; size: number };
      };
      if (value.output.type !== 'blob') continue;
      value.output = { type: 'blob', digest: 'e'.repeat(64), size: value.output.size + 3 };
      writeFileSync(path.join(acDir, name), JSON.stringify(value));
      rewritten++;
    }
    expect(rewritten).toBeGreaterThan(10);

    const second = await project(env);
    const b = await runBuild(second);
    expect(b.counts).toMatchObject({ failed: 0, processed: rewritten });
    expect(b.remote).toMatchObject({ misses: rewritten, errors: 0 });
    expectSamePacks(first, second);
    await expectVerified(second);
  });

  it('the server stopped mid-build: the build completes locally with a warning event, packs identical', async () => {
    const nginx = await server();
    const env = { PACKER_REMOTE_CACHE: nginx.url('open'), PACKER_REMOTE_CACHE_CONCURRENCY: '2' };
    const first = await project(env);
    await runBuild(first);
    const second = await project(env);
    const progress: BuildProgress[] = [];
    const b = await runBuild(second, {
      concurrency: 1,
      onProgress: (item) => {
        progress.push(item);
        // After the first asset came from the remote, the server goes away.
        if (item.remote?.hits === 1) nginx.kill();
      },
    });
    expect(b.counts.failed).toBe(0);
    expect(b.counts.processed).toBeGreaterThan(0);
    expect(b.remote!.hits).toBeGreaterThan(0);
    expect(b.remote!.errors).toBeGreaterThan(0);
    expect(b.warnings.some((warning) => warning.code === 'REMOTE_CACHE')).toBe(true);
    expect(progress.some((item) => item.warnings?.some((warning) => warning.code === 'REMOTE_CACHE'))).toBe(true);
    expectSamePacks(first, second);
    await expectVerified(second);
    const health = remoteCacheHealth(second.root, second.config.remoteCache)!;
    expect(['degraded', 'paused']).toContain(health.state);
    expect(health.warning).toMatch(/^remote-cache: /);
  });

  it('read-only mode downloads but uploads nothing', async () => {
    const nginx = await server();
    const first = await project({ PACKER_REMOTE_CACHE: nginx.url('open'), PACKER_REMOTE_CACHE_MODE: 'read-only' });
    const a = await runBuild(first);
    expect(a.counts.processed).toBe(37);
    expect(a.remote).toMatchObject({ mode: 'read-only', uploads: 0, bytesUp: 0, errors: 0 });
    expect(files(path.join(nginx.root, 'open'))).toEqual([]);
    expect(readFileSync(nginx.accessLog, 'utf8')).not.toMatch(/^PUT /m);
  });

  it('a header from the environment is sent (nginx refuses without it) and never appears in the report or events', async () => {
    const nginx = await server();
    const { token } = nginx.credentials;
    const withHeader = {
      PACKER_REMOTE_CACHE: nginx.url('token'),
      PACKER_REMOTE_CACHE_HEADER: `X-Cache-Token: ${token}`,
    };
    const first = await project(withHeader);
    const progressA: BuildProgress[] = [];
    const a = await runBuild(first, { onProgress: (item) => progressA.push(item) });
    expect(a.remote).toMatchObject({ errors: 0 });
    expect(a.remote!.uploads).toBeGreaterThan(0);
    const second = await project(withHeader);
    const progressB: BuildProgress[] = [];
    const b = await runBuild(second, { onProgress: (item) => progressB.push(item) });
    expect(b.counts.processed).toBe(0);
    expect(readFileSync(nginx.accessLog, 'utf8')).toContain(`token=${token}`);
    expect(seen(a, progressA) + seen(b, progressB)).not.toContain(token);

    // Without the header nginx answers 401: a warning (a refusal, not an outage: no pause), and a local build.
    const refused = await project({
      PACKER_REMOTE_CACHE: nginx.url('token'),
      PACKER_REMOTE_CACHE_HEADER: 'X-Cache-Token: wrong-value',
    });
    const c = await runBuild(refused);
    expect(c.counts).toMatchObject({ processed: 37, failed: 0, passThrough: 8 });
    expect(c.remote!.errors).toBeGreaterThan(0);
    expect(c.remote!.state).toBe('degraded');
    expect(c.warnings.find((warning) => warning.code === 'REMOTE_CACHE')!.message).toMatch(/HTTP 401/);
    expect(JSON.stringify(c)).not.toContain('wrong-value');
    expect(JSON.stringify(remoteCacheHealth(refused.root, refused.config.remoteCache))).not.toContain('wrong-value');
  });

  it('basic auth in the URL works and the credentials are never shown', async () => {
    const nginx = await server();
    const { user, password } = nginx.credentials;
    const first = await project({ PACKER_REMOTE_CACHE: nginx.url('basic') });
    const progressA: BuildProgress[] = [];
    const a = await runBuild(first, { onProgress: (item) => progressA.push(item) });
    expect(a.remote).toMatchObject({ errors: 0, url: `http://***@127.0.0.1:${nginx.port}/basic` });
    const second = await project({ PACKER_REMOTE_CACHE: nginx.url('basic') });
    const b = await runBuild(second);
    expect(b.counts.processed).toBe(0);
    expect(seen(a, progressA) + JSON.stringify(b)).not.toContain(password);
    expect(seen(a, progressA)).not.toContain(`${user}:`);

    // A wrong password: every request is a 401, whose warnings name the URL without the credentials.
    const wrong = await project({
      PACKER_REMOTE_CACHE: `http://${user}:not-${password}@127.0.0.1:${nginx.port}/basic`,
    });
    const c = await runBuild(wrong);
    expect(c.remote!.errors).toBeGreaterThan(0);
    const text = JSON.stringify({ c, health: remoteCacheHealth(wrong.root, wrong.config.remoteCache) });
    expect(text).not.toContain(password);
    expect(text).toContain('http://***@127.0.0.1');
  });
});
