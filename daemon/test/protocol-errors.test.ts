import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyFixture, readTree, type TreeEntry } from '@packer/fixtures';
import { ErrorCodes, PackerError, type Diagnostic, type MutationInput } from '@packer/core/contract';
import type { DaemonClient } from '@packer/client';
import {
  connectClient,
  EventRecorder,
  RawSocket,
  startDaemon,
  stopDaemon,
  type DaemonProcess,
} from './support/daemon-harness.js';

/**
 * Typed application errors over a real socket. The project sits one level inside a private temp folder, so
 * "outside the project" is a folder this test owns: `../outside.png` exists there and must stay untouched.
 */
const parent = mkdtempSync(path.join(os.tmpdir(), 'packer-escape-'));
const root = path.join(parent, 'project');
let daemon: DaemonProcess;
let client: DaemonClient;
const recorder = new EventRecorder();

const OUTSIDE_CONTENT = 'not part of the project';

beforeAll(async () => {
  await copyFixture('sample-game', root);
  writeFileSync(path.join(parent, 'outside.png'), OUTSIDE_CONTENT);
  symlinkSync(path.join(parent, 'outside.png'), path.join(root, 'assets', 'escape.png'));
  daemon = await startDaemon({ root });
  client = await connectClient(root, 'errors-test');
  await client.subscribe({ onEvent: recorder.onEvent });
});

afterAll(async () => {
  await client?.close();
  if (daemon) await stopDaemon(daemon, { keepRoot: true });
  rmSync(parent, { recursive: true, force: true });
});

/** Everything in the temp folder but the daemon's runtime state (its logs legitimately grow). */
async function visibleTree(): Promise<TreeEntry[]> {
  return (await readTree(parent)).filter((entry) => !entry.path.startsWith('project/.packer/'));
}

async function refusal(mutation: MutationInput): Promise<PackerError> {
  const error = await client.call('mutation.apply', { mutation }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PackerError);
  return error as PackerError;
}

describe('paths outside the project', () => {
  it.each<[string, MutationInput]>([
    ['a move to ../outside.png', { type: 'move', from: 'assets/sprites/enemies/bat.png', to: '../outside.png' }],
    [
      'a move to a path that climbs out through the asset root',
      { type: 'move', from: 'assets/sprites/enemies/bat.png', to: 'assets/../../outside-too.png' },
    ],
    [
      'a move to an absolute path elsewhere',
      { type: 'move', from: 'assets/sprites/enemies/bat.png', to: path.join(parent, 'absolute.png') },
    ],
    ['a move from ../outside.png', { type: 'move', from: '../outside.png', to: 'assets/sprites/outside.png' }],
    ['a register of ../outside.png', { type: 'register', paths: ['../outside.png'] }],
    ['a register of a symlink that points outside', { type: 'register', paths: ['assets/escape.png'] }],
  ])('refuses %s with BLOCKED / PATH_OUTSIDE_PROJECT and changes nothing on disk', async (_name, mutation) => {
    const before = await visibleTree();
    const revision = (await client.call('snapshot.summary', {})).revision;
    const preview = await client.call('mutation.preview', { mutation });
    expect(preview.blockers.map((blocker) => blocker.code)).toContain('PATH_OUTSIDE_PROJECT');

    const error = await refusal(mutation);
    expect(error.code).toBe('BLOCKED');
    const blockers = error.data.blockers as Diagnostic[];
    expect(blockers.map((blocker) => blocker.code)).toContain('PATH_OUTSIDE_PROJECT');
    expect(blockers.every((blocker) => blocker.severity === 'blocker')).toBe(true);

    expect(await visibleTree()).toEqual(before);
    expect(readFileSync(path.join(parent, 'outside.png'), 'utf8')).toBe(OUTSIDE_CONTENT);
    expect(existsSync(path.join(parent, 'outside-too.png'))).toBe(false);
    expect(existsSync(path.join(parent, 'absolute.png'))).toBe(false);
    expect((await client.call('snapshot.summary', {})).revision).toBe(revision);
  });

  it('ends each refused apply with a failed event carrying BLOCKED, and audits it as blocked', async () => {
    const mutation: MutationInput = { type: 'move', from: 'assets/sprites/enemies/bat.png', to: '../outside.png' };
    await refusal(mutation);
    await recorder.waitFor((events) => events.filter((event) => event.type === 'failed').length >= 7);
    const failed = recorder.events.filter((event) => event.type === 'failed');
    for (const event of failed) expect(event.payload).toMatchObject({ error: { code: 'BLOCKED' } });
    const audit = await client.call('audit.list', {});
    const last = audit.items.at(-1)!;
    expect(last).toMatchObject({
      result: 'blocked',
      operationId: failed.at(-1)!.operationId,
      revisionBefore: last.revisionAfter,
    });
  });

  it('carries BLOCKED on the wire as -32002 with the blockers in data', async () => {
    const socket = await RawSocket.connect(daemon.socketPath);
    try {
      socket.send(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'mutation.apply',
          params: { mutation: { type: 'move', from: 'assets/sprites/enemies/bat.png', to: '../outside.png' } },
        }) + '\n',
      );
      const [answer] = (await socket.waitForMessages(1)) as {
        error: { code: number; data: { code: string; blockers: Diagnostic[] } };
      }[];
      expect(answer!.error.code).toBe(ErrorCodes.BLOCKED);
      expect(answer!.error.data.code).toBe('BLOCKED');
      expect(answer!.error.data.blockers.map((blocker) => blocker.code)).toContain('PATH_OUTSIDE_PROJECT');
    } finally {
      socket.close();
    }
  });
});

describe('unknown ids', () => {
  const unknownId = 'a_00000000000000000000000000';

  it('answers assets.get of an unknown id with NOT_FOUND (-32007) and data.code NOT_FOUND', async () => {
    const socket = await RawSocket.connect(daemon.socketPath);
    try {
      socket.send(
        JSON.stringify({ jsonrpc: '2.0', id: 'get', method: 'assets.get', params: { ref: unknownId } }) + '\n',
      );
      const [answer] = (await socket.waitForMessages(1)) as {
        id: string;
        error: { code: number; message: string; data: Record<string, unknown> };
      }[];
      expect(answer).toMatchObject({
        id: 'get',
        error: { code: ErrorCodes.NOT_FOUND, data: { code: 'NOT_FOUND', ref: unknownId } },
      });
      expect(answer!.error.message).toContain(unknownId);
    } finally {
      socket.close();
    }
    await expect(client.call('assets.get', { ref: unknownId })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      data: { ref: unknownId },
    });
  });

  it('answers an unknown path and an unknown operation with NOT_FOUND as well', async () => {
    await expect(client.call('assets.get', { ref: 'assets/no-such-file.png' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(client.call('operations.get', { operationId: 'op_nope' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(client.call('operations.cancel', { operationId: 'op_nope' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(client.call('events.unsubscribe', { subscriptionId: 'sub_nope' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
