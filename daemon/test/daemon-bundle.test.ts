import { fork, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyFixture } from '@packer/fixtures';
import { ProjectClient } from '@packer/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_MANIFEST, freshBundle } from '../src/bin/fresh-bundle.js';

// The daemon bundled into one file (issue 11, warm open), built here with the real build step (rolldown, as
// `npm run build` runs it) into a folder of its own under daemon/dist, from the compiled dist (`npx tsc -b` first).
const DAEMON = fileURLToPath(new URL('..', import.meta.url));
const DAEMON_MAIN = path.join(DAEMON, 'dist/bin/daemon-main.js');
const ROLLDOWN = fileURLToPath(new URL('../../node_modules/rolldown/bin/cli.mjs', import.meta.url));
const dirs: string[] = [];
let out: string;

beforeAll(() => {
  out = mkdtempSync(path.join(DAEMON, 'dist', '.bundle-test-'));
  dirs.push(out);
  const build = spawnSync(process.execPath, [ROLLDOWN, '-c', 'rolldown.config.mjs', '--log-level', 'warn'], {
    cwd: DAEMON,
    env: { ...process.env, PACKER_BUNDLE_OUT: out },
    encoding: 'utf8',
  });
  expect(build.status, build.stderr).toBe(0);
}, 60_000);
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Starts a daemon from `entry` on a fresh copy of the sample game; returns what a client reads from it. */
async function readsFrom(entry: string): Promise<unknown> {
  const root = await copyFixture('sample-game');
  dirs.push(root);
  const child = fork(entry, ['--project', root], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const message = await new Promise<{ type: string }>((resolve, reject) => {
      child.once('message', (value) => resolve(value as { type: string }));
      void exited.then((code) => reject(new Error(`daemon exited with ${String(code)}: ${stderr}`)));
    });
    expect(message.type).toBe('ready');
    const client = await ProjectClient.connect(root, { client: 'bundle-test', autoStart: false });
    try {
      const summary = await client.call('snapshot.summary', {});
      const assets = await client.call('assets.list', { limit: 500 });
      const health = await client.call('daemon.health', {});
      // The same project copied twice: everything but the copies' mtimes is the same.
      const items = assets.items.map(({ observation, ...item }) => ({ ...item, digest: observation?.digest }));
      return { summary: summary.summary, assets: items, watcher: health.watcher.state };
    } finally {
      await client.close();
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

describe('the daemon bundle', () => {
  it('is recorded as fresh, one file plus lazy chunks, and serves exactly what the module graph serves', async () => {
    const manifest = JSON.parse(readFileSync(path.join(out, BUNDLE_MANIFEST), 'utf8')) as { inputs: unknown[] };
    expect(manifest.inputs.length).toBeGreaterThan(100);
    const bundle = freshBundle(out);
    expect(bundle).toBeDefined();
    const fromBundle = await readsFrom(fileURLToPath(bundle!));
    const fromModules = await readsFrom(DAEMON_MAIN);
    expect(fromBundle).toEqual(fromModules);
    expect((fromBundle as { summary: { assets: number } }).summary.assets).toBeGreaterThan(3);
  }, 60_000);
});
