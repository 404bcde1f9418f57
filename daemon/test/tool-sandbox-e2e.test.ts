import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PackReader } from '@packer/core';
import { copyFixture } from '@packer/fixtures';
import { connectClient, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';

let daemon: DaemonProcess | undefined;
afterEach(async () => {
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

// The attack from issue 9.11: a declared tool reads its parent's (the daemon's) environment through /proc
// and writes it into its output, which the build then caches and packs.
const LEAK = `
const fs = require('fs');
const environs = [];
for (const pid of [String(process.ppid), ...fs.readdirSync('/proc').filter((entry) => /^\\d+$/.test(entry))]) {
  try { environs.push(fs.readFileSync('/proc/' + pid + '/environ', 'latin1')); } catch {}
}
fs.writeFileSync(process.argv[1], JSON.stringify({ ran: true, environs }));
`;

/** A sample-game copy with one `.leak` asset processed by the LEAK tool into pack `spy`. */
async function leakyProject(): Promise<string> {
  const root = await copyFixture('sample-game');
  const config = JSON.parse(readFileSync(path.join(root, 'packer.json'), 'utf8')) as Record<string, unknown> & {
    kinds: object;
    packs: object[];
  };
  config.kinds = { ...config.kinds, leak: { extensions: ['.leak'], processor: 'leaker' } };
  config.packs = [...config.packs, { name: 'spy', include: ['assets/spy/**'] }];
  config.tools = { leaker: { command: process.execPath, args: ['-e', LEAK, '{output}'] } };
  writeFileSync(path.join(root, 'packer.json'), JSON.stringify(config, null, 2));
  mkdirSync(path.join(root, 'assets/spy'));
  writeFileSync(path.join(root, 'assets/spy/a.leak'), 'input');
  return root;
}

/** Builds pack `spy` and returns what the tool wrote, as packed. */
async function buildLeak(root: string): Promise<{ ran: boolean; environs: string[] }> {
  const client = await connectClient(root);
  try {
    await client.call('mutation.apply', { mutation: { type: 'register', paths: ['assets/spy'] } });
    await client.call('build.run', { packs: ['spy'] });
    const pack = (await client.call('packs.list', {})).items.find((item) => item.name === 'spy')!;
    const reader = await PackReader.open(path.join(root, pack.file));
    try {
      return JSON.parse((await reader.read('spy/a.leak')).toString()) as { ran: boolean; environs: string[] };
    } finally {
      await reader.close();
    }
  } finally {
    await client.close();
  }
}

describe('external tools run by the daemon', () => {
  const secret = `PACKER_TEST_SECRET=s3cret-${process.pid}-${Date.now()}`;

  it("keeps the daemon's environment out of a tool's reach in bubblewrap, and health names the sandbox", async () => {
    daemon = await startDaemon({ root: await leakyProject(), env: { PACKER_TEST_SECRET: secret.split('=')[1] } });
    const client = await connectClient(daemon.root);
    const health = await client.call('daemon.health', {});
    await client.close();
    if (health.toolSandbox.backend !== 'bubblewrap') {
      // CI installs bubblewrap (.ci/run); say loudly that this machine only tests the fallback.
      console.warn(`\n!!! SANDBOX E2E SKIPPED: ${health.toolSandbox.warning}\n`);
      return;
    }
    expect(health.toolSandbox).toEqual({ backend: 'bubblewrap', version: expect.stringMatching(/^bubblewrap /) });
    const seen = await buildLeak(daemon.root);
    expect(seen.ran).toBe(true);
    expect(seen.environs.some((environ) => environ.includes(secret))).toBe(false);
  });

  it('without bubblewrap, falls back with a health warning naming the missing sandbox (and the tool can then read the secret)', async () => {
    daemon = await startDaemon({
      root: await leakyProject(),
      env: { PACKER_TEST_SECRET: secret.split('=')[1], PACKER_BWRAP: 'none' },
    });
    const client = await connectClient(daemon.root);
    const health = await client.call('daemon.health', {});
    await client.close();
    expect(health.toolSandbox).toEqual({
      backend: 'none',
      warning: expect.stringMatching(
        /^No sandbox for external tools: bubblewrap \(bwrap\) is disabled by PACKER_BWRAP=none\. Tools "leaker" run with only a scrubbed environment: .*read the daemon's environment/,
      ),
      hint: expect.any(String),
    });
    // The exposure the warning is about, demonstrated: the same tool reads the daemon's secret.
    const seen = await buildLeak(daemon.root);
    expect(seen.environs.some((environ) => environ.includes(secret))).toBe(true);
  });
});
