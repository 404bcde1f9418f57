import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyFixture } from '@packer/fixtures';
import { ErrorCodes, MAX_FRAME_BYTES, PROTOCOL_VERSION } from '@packer/core/contract';
import { RawSocket, startDaemon, stopDaemon, type Answer, type DaemonProcess } from './support/daemon-harness.js';

let daemon: DaemonProcess;
const sockets: RawSocket[] = [];

/** A project whose snapshot is a few hundred KB: 1,500 untracked files with long names. */
async function bulkyProject(): Promise<string> {
  const root = await copyFixture('sample-game');
  const bulk = path.join(root, 'assets', 'bulk');
  mkdirSync(bulk, { recursive: true });
  for (let index = 0; index < 1500; index++)
    writeFileSync(path.join(bulk, `note-${String(index).padStart(4, '0')}-${'n'.repeat(60)}.txt`), `${index}\n`);
  return root;
}

beforeAll(async () => {
  daemon = await startDaemon({ root: await bulkyProject() });
});

afterAll(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await stopDaemon(daemon);
});

async function open(): Promise<RawSocket> {
  const socket = await RawSocket.connect(daemon.socketPath);
  sockets.push(socket);
  return socket;
}

async function exchange(socket: RawSocket, frame: string): Promise<unknown> {
  const before = socket.messages.length;
  socket.send(frame + '\n');
  await socket.waitForMessages(before + 1, 60_000);
  expect(socket.messages.length, 'an answer arrived').toBeGreaterThan(before);
  return socket.messages[before];
}

/** Resident and peak-resident memory of a process, in bytes (Linux). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** Resets a process's peak-RSS mark (Linux ≥ 4.0), so VmHWM then measures only what follows. */
function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not permitted here: the peak then also covers start-up, which only makes the check stricter
  }
}

describe('what one peer can cost the daemon', () => {
  it('answers a batch of 1,000 snapshot.get with REPLY_TOO_LARGE within the frame cap, and stays small while doing it', async () => {
    const socket = await open();
    const single = (await exchange(
      socket,
      JSON.stringify({ jsonrpc: '2.0', id: 'one', method: 'snapshot.get', params: {} }),
    )) as Answer;
    expect(single.result).toBeDefined();
    const snapshotBytes = JSON.stringify(single).length;
    // The precondition of the attack: 1,000 of these would be hundreds of MiB.
    expect(snapshotBytes * 1000).toBeGreaterThan(100 * 1024 * 1024);

    const before = memoryOf(daemon.pid);
    resetPeak(daemon.pid);
    const batch = Array.from({ length: 1000 }, (_, index) => ({
      jsonrpc: '2.0',
      id: index,
      method: 'snapshot.get',
      params: {},
    }));
    const frame = JSON.stringify(batch);
    expect(frame.length).toBeLessThan(MAX_FRAME_BYTES);
    socket.send(frame + '\n');
    const reply = (await socket.waitForMessages(2, 60_000))[1] as Answer[];

    expect(Array.isArray(reply)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(reply))).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(reply).toHaveLength(1000);
    const ids = reply.map((answer) => answer.id).sort((a, b) => Number(a) - Number(b));
    expect(ids).toEqual(batch.map((request) => request.id));
    const refused = reply.filter((answer) => answer.error?.data?.code === 'REPLY_TOO_LARGE');
    const answered = reply.filter((answer) => answer.result !== undefined);
    expect(refused.length).toBeGreaterThan(900);
    expect(answered.length + refused.length).toBe(1000);
    expect(refused[0]!.error).toMatchObject({
      code: ErrorCodes.REPLY_TOO_LARGE,
      data: { code: 'REPLY_TOO_LARGE', limit: MAX_FRAME_BYTES },
    });
    // Most never ran: the daemon stopped computing once the answers passed the cap.
    expect(refused.filter((answer) => answer.error?.data?.ran === false).length).toBeGreaterThan(900);

    const after = memoryOf(daemon.pid);
    // The old daemon built the whole reply (hundreds of MiB) before sending it.
    expect(after.peak - before.rss).toBeLessThan(120 * 1024 * 1024);

    // The connection still serves.
    const health = (await exchange(
      socket,
      JSON.stringify({ jsonrpc: '2.0', id: 'after', method: 'daemon.health', params: {} }),
    )) as Answer;
    expect(health).toMatchObject({ id: 'after', result: { live: true } });
  });

  it('still answers a batch whose answers fit, in full', async () => {
    const socket = await open();
    const batch = Array.from({ length: 20 }, (_, index) => ({
      jsonrpc: '2.0',
      id: index,
      method: 'daemon.health',
      params: {},
    }));
    const reply = (await exchange(socket, JSON.stringify(batch))) as Answer[];
    expect(reply).toHaveLength(20);
    expect(reply.every((answer) => (answer.result as { live?: boolean } | undefined)?.live === true)).toBe(true);
  });

  it('refuses a daemon.hello whose client name is 7 MiB with INVALID_PARAMS, and accepts 128 characters', async () => {
    const socket = await open();
    const huge = (await exchange(
      socket,
      JSON.stringify({
        jsonrpc: '2.0',
        id: 'huge',
        method: 'daemon.hello',
        params: { client: 'c'.repeat(7 * 1024 * 1024), protocolVersion: PROTOCOL_VERSION },
      }),
    )) as Answer;
    expect(huge).toMatchObject({
      id: 'huge',
      error: { code: ErrorCodes.INVALID_PARAMS, data: { code: 'INVALID_PARAMS' } },
    });
    expect(huge.error!.message).toContain('client');
    // The refusal does not echo the 7 MiB back.
    expect(JSON.stringify(huge).length).toBeLessThan(4096);

    const fits = (await exchange(
      socket,
      JSON.stringify({
        jsonrpc: '2.0',
        id: 'fits',
        method: 'daemon.hello',
        params: { client: 'c'.repeat(128), protocolVersion: PROTOCOL_VERSION },
      }),
    )) as Answer;
    expect(fits.result).toMatchObject({ pid: daemon.pid });
  });
});
