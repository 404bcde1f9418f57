import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PackerError } from '@packer/core/contract';
import { type DaemonClient, ProjectClient } from '@packer/client';
import {
  EventRecorder,
  isDaemonAlive,
  longOperation,
  projectFiles,
  startDaemon,
  stopDaemon,
  type DaemonProcess,
} from './support/daemon-harness.js';

let daemon: DaemonProcess | undefined;
const clients: DaemonClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

/** A client of a running daemon that neither starts one nor reconnects: these tests watch the daemon go. */
async function connect(root: string): Promise<DaemonClient> {
  const client = await ProjectClient.connect(root, { client: 'lifecycle-test', autoStart: false, reconnect: false });
  clients.push(client);
  return client;
}

interface LogLine {
  time: string;
  level: string;
  pid: number;
  message: string;
  [field: string]: unknown;
}

function readLog(root: string): LogLine[] {
  return readFileSync(projectFiles(root).logFile, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as LogLine);
}

/** What a clean stop leaves: exit code 0, no socket, no lock, no endpoint file, and a log that says why. */
async function expectCleanStop(process: DaemonProcess, reason: string): Promise<void> {
  expect(await process.exited).toEqual({ code: 0, signal: null });
  const files = projectFiles(process.root);
  expect(existsSync(files.socketPath)).toBe(false);
  expect(existsSync(files.lockDir)).toBe(false);
  expect(existsSync(files.endpointFile)).toBe(false);
  const log = readLog(process.root).filter((line) => line.pid === process.pid);
  expect(log.map((line) => line.message)).toEqual(
    expect.arrayContaining(['daemon ready', 'daemon stopping', 'daemon stopped']),
  );
  expect(log.at(-1)).toMatchObject({ level: 'info', message: 'daemon stopped', reason });
  for (const line of log) expect(Number.isNaN(Date.parse(line.time))).toBe(false);
}

describe('daemon shutdown', () => {
  it('stops gracefully on SIGTERM, telling subscribers first', async () => {
    daemon = await startDaemon();
    const client = await connect(daemon.root);
    const recorder = new EventRecorder();
    await client.subscribe({ onEvent: recorder.onEvent });
    const closed = new Promise<void>((resolve) => client.onStateChange((state) => state === 'closed' && resolve()));
    daemon.child.kill('SIGTERM');
    await expectCleanStop(daemon, 'SIGTERM');
    await closed;
    expect(recorder.events.map((event) => event.type)).toContain('daemon.stopping');
    expect(recorder.events.find((event) => event.type === 'daemon.stopping')!.payload).toEqual({ reason: 'SIGTERM' });
  });

  it('stops gracefully on daemon.shutdown', async () => {
    daemon = await startDaemon();
    const client = await connect(daemon.root);
    expect(await client.call('daemon.shutdown', { reason: 'asked nicely' })).toEqual({ stopping: true });
    await expectCleanStop(daemon, 'asked nicely');
  });

  it('cancels the running operation on SIGTERM and its subscriber sees the terminal event', async () => {
    daemon = await startDaemon();
    const client = await connect(daemon.root);
    const recorder = new EventRecorder();
    await client.subscribe({ onEvent: recorder.onEvent });
    const operationId = await longOperation(daemon.root, { progressEvents: 10, holdUntilCancelled: true });
    await recorder.waitFor((events) =>
      events.some(
        (event) =>
          event.operationId === operationId &&
          event.type === 'progress' &&
          (event.payload as { done: number }).done === 10,
      ),
    );
    daemon.child.kill('SIGTERM');
    const terminal = await recorder.terminalOf(operationId);
    expect(terminal.type).toBe('cancelled');
    await expectCleanStop(daemon, 'SIGTERM');
    const types = recorder.events.map((event) => event.type);
    // The daemon says it is stopping before it cancels what runs.
    expect(types.indexOf('daemon.stopping')).toBeLessThan(types.indexOf('cancelled'));
    expect(
      recorder.events.filter(
        (event) => event.operationId === operationId && ['completed', 'failed', 'cancelled'].includes(event.type),
      ),
    ).toHaveLength(1);
  });

  it('refuses new work with SHUTTING_DOWN once it has announced daemon.stopping', async () => {
    daemon = await startDaemon();
    const client = await connect(daemon.root);
    const recorder = new EventRecorder();
    await client.subscribe({ onEvent: recorder.onEvent });
    daemon.child.kill('SIGTERM');
    await recorder.waitFor((events) => events.some((event) => event.type === 'daemon.stopping'));
    // The connection is still open while the daemon closes its watcher and workspace: a request can arrive.
    const outcome = await client
      .call('mutation.apply', {
        mutation: { type: 'move', from: 'assets/sprites/enemies/bat.png', to: 'assets/sprites/bat.png' },
      })
      .then(
        () => 'applied',
        (error: unknown) => error,
      );
    expect(outcome).toBeInstanceOf(PackerError);
    // Either the refusal arrived, or the connection closed first; never an apply.
    expect((outcome as PackerError).code === 'SHUTTING_DOWN' || /closed/.test((outcome as PackerError).message)).toBe(
      true,
    );
    await expectCleanStop(daemon, 'SIGTERM');
    expect(existsSync(path.join(daemon.root, 'assets/sprites/enemies/bat.png'))).toBe(true);
    expect(existsSync(path.join(daemon.root, 'assets/sprites/bat.png'))).toBe(false);
    expect(recorder.events.filter((event) => event.type === 'queued')).toEqual([]);
  });

  it('shuts itself down after the idle timeout when no client is connected', async () => {
    daemon = await startDaemon({ args: ['--idle-timeout-ms', '300'] });
    await expectCleanStop(daemon, 'idle timeout');
  });

  it('stays up while a client is connected and goes idle once it leaves', async () => {
    daemon = await startDaemon({ args: ['--idle-timeout-ms', '300'] });
    const client = await connect(daemon.root);
    // No event announces "did not stop": hold the connection across several idle periods, then check.
    const heldUntil = Date.now() + 1200;
    while (Date.now() < heldUntil) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(daemon.child.exitCode).toBeNull();
    }
    expect(isDaemonAlive(daemon.pid)).toBe(true);
    expect((await client.call('daemon.health', {})).connections).toBe(1);
    await client.close();
    await expectCleanStop(daemon, 'idle timeout');
  });
});
