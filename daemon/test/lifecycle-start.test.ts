import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyFixture } from '@packer/fixtures';
import { PackerError, PROTOCOL_VERSION } from '@packer/core/contract';
import { type DaemonClient, ProjectClient } from '@packer/client';
import { isDaemonAlive, projectFiles, startDaemon } from './support/daemon-harness.js';
import { daemonPidsFor, killDaemonsFor, shutdownThrough, waitForExit } from './support/daemon-processes.js';
import { waitUntil } from './support/wait-until.js';

const roots: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

async function project(): Promise<string> {
  const root = await copyFixture('sample-game');
  roots.push(root);
  return root;
}

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const root of roots.splice(0)) {
    await killDaemonsFor(root);
    rmSync(root, { recursive: true, force: true });
  }
});

/** A client that may auto-start a detached daemon; closed (and its daemon left to `afterEach`) if a test fails. */
async function autoStartClient(root: string, client = 'lifecycle-test'): Promise<DaemonClient> {
  const connected = await ProjectClient.connect(root, { client, reconnect: false });
  cleanups.push(() => connected.close());
  return connected;
}

describe('daemon start-up through the client', () => {
  it('auto-starts a detached daemon that is ready when connect resolves', async () => {
    const root = await project();
    expect(daemonPidsFor(root)).toEqual([]);
    const client = await autoStartClient(root);
    expect(client.hello.protocolVersion).toBe(PROTOCOL_VERSION);
    expect(client.hello.projectRoot).toBe(root);
    const health = await client.call('daemon.health', {});
    expect(health).toMatchObject({ live: true, ready: true, pid: client.hello.pid });
    expect(daemonPidsFor(root)).toEqual([client.hello.pid]);
    // Detached: it leads its own session (no terminal signal of ours reaches it) and outlives the client.
    const [, , processGroup, session] = readFileSync(`/proc/${client.hello.pid}/stat`, 'utf8')
      .split(') ')[1]!
      .split(' ');
    expect([Number(processGroup), Number(session)]).toEqual([client.hello.pid, client.hello.pid]);
    const { pid } = client.hello;
    await client.close();
    expect(isDaemonAlive(pid)).toBe(true);
    const again = await autoStartClient(root);
    expect(again.hello.pid).toBe(pid);
    await shutdownThrough(again);
    expect(daemonPidsFor(root)).toEqual([]);
  });

  it('gives two clients connecting at once one and the same daemon', async () => {
    const root = await project();
    const [first, second] = await Promise.all([autoStartClient(root, 'racer-1'), autoStartClient(root, 'racer-2')]);
    expect(first.hello.pid).toBe(second.hello.pid);
    // The starter that lost the lock race exits on its own; only the winner remains.
    await waitUntil(() => daemonPidsFor(root).length === 1, 'one daemon process is left');
    expect(daemonPidsFor(root)).toEqual([first.hello.pid]);
    const health = await second.call('daemon.health', {});
    expect(health.connections).toBe(2);
    await first.close();
    await shutdownThrough(second);
  });

  it('cleans the lock and socket a kill -9ed daemon left behind and starts a new one', async () => {
    const root = await project();
    const files = projectFiles(root);
    const crashed = await startDaemon({ root });
    crashed.child.kill('SIGKILL');
    expect((await crashed.exited).signal).toBe('SIGKILL');
    // The precondition: a crash leaves everything behind.
    expect(existsSync(files.lockDir)).toBe(true);
    expect(existsSync(files.socketPath)).toBe(true);
    expect(existsSync(files.endpointFile)).toBe(true);
    expect(readFileSync(path.join(files.lockDir, 'pid'), 'utf8').trim()).toBe(String(crashed.pid));

    const client = await autoStartClient(root);
    expect(client.hello.pid).not.toBe(crashed.pid);
    expect(await client.call('daemon.health', {})).toMatchObject({ ready: true, pid: client.hello.pid });
    expect(readFileSync(path.join(files.lockDir, 'pid'), 'utf8').trim()).toBe(String(client.hello.pid));
    expect(JSON.parse(readFileSync(files.endpointFile, 'utf8'))).toMatchObject({
      pid: client.hello.pid,
      socketPath: files.socketPath,
    });
    await shutdownThrough(client);
    expect(existsSync(files.lockDir)).toBe(false);
    expect(existsSync(files.socketPath)).toBe(false);
  });

  it('gives two racing clients one daemon when a kill -9ed daemon left its files behind', async () => {
    const root = await project();
    const crashed = await startDaemon({ root });
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    const [first, second] = await Promise.all([autoStartClient(root, 'racer-1'), autoStartClient(root, 'racer-2')]);
    expect(first.hello.pid).toBe(second.hello.pid);
    expect(first.hello.pid).not.toBe(crashed.pid);
    await waitUntil(() => daemonPidsFor(root).length === 1, 'one daemon process is left');
    await first.close();
    await shutdownThrough(second);
  });

  it('starts a daemon itself when the starter that won the lock race dies before serving', async () => {
    const root = await project();
    const files = projectFiles(root);
    // The winner of a start race: holds the lock, is alive, never listens (as if stuck or about to crash).
    const winner = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'packer-daemon-stuck-winner'], {
      stdio: 'ignore',
    });
    const winnerExited = new Promise((resolve) => winner.once('exit', resolve));
    cleanups.push(async () => {
      if (winner.exitCode === null && winner.signalCode === null) winner.kill('SIGKILL');
      await winnerExited;
    });
    mkdirSync(files.lockDir, { recursive: true });
    writeFileSync(path.join(files.lockDir, 'pid'), String(winner.pid));

    const connecting = ProjectClient.connect(root, { client: 'lifecycle-test', reconnect: false, timeoutMs: 20_000 });
    connecting.catch(() => undefined);
    // The client's own daemon comes up, finds the lock held by a live process and exits: the client now waits.
    await waitUntil(() => daemonPidsFor(root).length === 1, 'the client started a daemon', 10_000, 2);
    await waitUntil(() => daemonPidsFor(root).length === 0, 'that daemon gave way to the lock holder', 10_000, 2);
    const killedAt = Date.now();
    winner.kill('SIGKILL');
    await winnerExited;

    const client = await connecting;
    cleanups.push(() => client.close());
    // Not after the 20 s connect deadline: as soon as it sees the winner gone.
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    expect(client.hello.pid).not.toBe(winner.pid);
    expect(await client.call('daemon.health', {})).toMatchObject({ ready: true, pid: client.hello.pid });
    await shutdownThrough(client);
  });

  it('rejects with INVALID_CONFIG naming packer.json and the field when the config is broken', async () => {
    const root = await project();
    const configFile = path.join(root, 'packer.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(configFile, JSON.stringify({ ...config, assetRoots: 'assets' }, null, 2));
    const error = await ProjectClient.connect(root, { client: 'lifecycle-test', reconnect: false }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PackerError);
    const packerError = error as PackerError;
    expect(packerError.code).toBe('INVALID_CONFIG');
    expect(packerError.message).toContain('packer.json');
    expect(packerError.message).toContain('assetRoots');
    expect(packerError.data).toMatchObject({ file: configFile, field: 'assetRoots' });
    // Nothing is left running or locked: the next start (after a fix) is not blocked.
    const files = projectFiles(root);
    await waitUntil(() => daemonPidsFor(root).length === 0, 'the failed daemon exited');
    expect(existsSync(files.lockDir)).toBe(false);
    expect(existsSync(files.socketPath)).toBe(false);
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const client = await autoStartClient(root);
    await shutdownThrough(client);
  });

  it('tells two clients racing to start on a broken config both about it', async () => {
    const root = await project();
    const configFile = path.join(root, 'packer.json');
    writeFileSync(
      configFile,
      JSON.stringify({ ...JSON.parse(readFileSync(configFile, 'utf8')), kinds: { Image: { extensions: ['.png'] } } }),
    );
    const outcomes = await Promise.allSettled(
      [0, 1].map((index) =>
        ProjectClient.connect(root, { client: `racer-${index}`, reconnect: false, timeoutMs: 10_000 }),
      ),
    );
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({
        code: 'INVALID_CONFIG',
        data: { field: expect.stringContaining('kinds') },
      });
    }
    await waitUntil(() => daemonPidsFor(root).length === 0, 'the failed daemons exited');
  });

  it('rejects a packer.json that is not JSON with INVALID_CONFIG naming the file', async () => {
    const root = await project();
    writeFileSync(path.join(root, 'packer.json'), '{ "name": "broken", ');
    await expect(ProjectClient.connect(root, { client: 'lifecycle-test', reconnect: false })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('packer.json'),
    });
    await waitUntil(() => daemonPidsFor(root).length === 0, 'the failed daemon exited');
  });
});

/**
 * A stand-in for a daemon of another protocol version: holds the project lock, listens on the project's socket,
 * answers `daemon.hello` with protocol 999 and, when asked to shut down, releases everything and exits (or,
 * with `--stubborn`, answers and stays). Its file name contains `packer-daemon`, as a real daemon's would.
 */
const FAKE_DAEMON = String.raw`
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
const [socketPath, lockDir, root, mode] = process.argv.slice(2);
fs.mkdirSync(path.dirname(lockDir), { recursive: true });
fs.mkdirSync(path.dirname(socketPath), { recursive: true });
fs.mkdirSync(lockDir);
fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
const answer = (socket, id, result) => socket.write(JSON.stringify({ jsonrpc: '2.0', id, result }) + '\n');
const server = net.createServer((socket) => {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  socket.on('data', (chunk) => {
    buffer += chunk;
    for (let index = buffer.indexOf('\n'); index !== -1; index = buffer.indexOf('\n')) {
      const request = JSON.parse(buffer.slice(0, index));
      buffer = buffer.slice(index + 1);
      process.stdout.write(JSON.stringify({ method: request.method, params: request.params }) + '\n');
      if (request.method === 'daemon.hello') {
        answer(socket, request.id, { protocolVersion: 999, daemonVersion: '9.9.9', projectRoot: root, projectName: 'old', pid: process.pid, generation: 1, cursor: '1.0', startedAt: new Date().toISOString() });
      } else if (request.method === 'daemon.shutdown' && mode !== '--stubborn') {
        answer(socket, request.id, { stopping: true });
        socket.end(() => {
          server.close();
          fs.rmSync(socketPath, { force: true });
          fs.rmSync(lockDir, { recursive: true, force: true });
          process.exit(0);
        });
      } else if (request.method === 'daemon.shutdown') {
        answer(socket, request.id, { stopping: true });
      } else {
        socket.write(JSON.stringify({ jsonrpc: '2.0', id: request.id, error: { code: -32601, message: 'Method not found' } }) + '\n');
      }
    }
  });
});
server.listen(socketPath, () => process.stdout.write('ready\n'));
`;

interface FakeDaemon {
  child: ChildProcess;
  /** The requests it received, in order. */
  requests: { method: string; params: unknown }[];
  exited: Promise<number | null>;
}

async function startFakeDaemon(root: string, mode: 'polite' | 'stubborn'): Promise<FakeDaemon> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'packer-fake-'));
  const script = path.join(dir, 'packer-daemon-protocol-999.mjs');
  writeFileSync(script, FAKE_DAEMON);
  const files = projectFiles(root);
  const child = spawn(
    process.execPath,
    [script, files.socketPath, files.lockDir, root, ...(mode === 'stubborn' ? ['--stubborn'] : [])],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const requests: FakeDaemon['requests'] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  await new Promise<void>((resolve, reject) => {
    let buffer = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      for (let index = buffer.indexOf('\n'); index !== -1; index = buffer.indexOf('\n')) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 1);
        if (line === 'ready') resolve();
        else requests.push(JSON.parse(line) as FakeDaemon['requests'][number]);
      }
    });
    void exited.then((code) => reject(new Error(`fake daemon exited with ${code} before it was ready`)));
  });
  return { child, requests, exited };
}

describe('protocol version check', () => {
  it('asks a daemon of another protocol version to stop and starts a new one', async () => {
    const root = await project();
    const fake = await startFakeDaemon(root, 'polite');
    const client = await autoStartClient(root);
    expect(client.hello.protocolVersion).toBe(PROTOCOL_VERSION);
    expect(client.hello.pid).not.toBe(fake.child.pid);
    expect(await fake.exited).toBe(0);
    expect(fake.requests.map((request) => request.method)).toEqual(['daemon.hello', 'daemon.shutdown']);
    expect(fake.requests[1]!.params).toEqual({ reason: `protocol 999 replaced by ${PROTOCOL_VERSION}` });
    expect(await client.call('daemon.health', {})).toMatchObject({ ready: true, pid: client.hello.pid });
    expect(daemonPidsFor(root)).toEqual([client.hello.pid]);
    await shutdownThrough(client);
  });

  it('rejects with PROTOCOL_MISMATCH when the other daemon will not stop', async () => {
    const root = await project();
    const fake = await startFakeDaemon(root, 'stubborn');
    const error = await ProjectClient.connect(root, {
      client: 'lifecycle-test',
      reconnect: false,
      timeoutMs: 1500,
    }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'PROTOCOL_MISMATCH', data: { daemon: 999, client: PROTOCOL_VERSION } });
    expect(fake.child.exitCode).toBeNull();
    // It never started a daemon of its own next to the one holding the lock.
    expect(daemonPidsFor(root)).toEqual([]);
    fake.child.kill('SIGKILL');
    await fake.exited;
    await waitForExit(fake.child.pid!);
  });
});
