import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { rmSync } from 'node:fs';
import { copyFixture } from '@packer/fixtures';
import type { EventEnvelope } from '@packer/core/contract';
import { type DaemonClient, daemonEntryPoint, isDaemonAlive, ProjectClient, projectFiles } from '@packer/client';
import { callTestOperation, testDaemonEntryPoint, type TestOperationParams } from '@packer/daemon/testing';

/** A daemon child process on a fixture copy, started in the foreground (so tests own its lifetime). */
export interface DaemonProcess {
  root: string;
  child: ChildProcess;
  pid: number;
  socketPath: string;
  /** Resolves with the exit code/signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Copies a fixture into a temp dir (or uses `root`) and starts its daemon; resolves once it is ready. It is the test
 * daemon (the production one plus test hooks): `longOperation` works, and `PACKER_TEST_CRASH_AT` in `env` kills it
 * there. `production: true` starts the production bin instead.
 */
export async function startDaemon(
  options: {
    root?: string;
    fixture?: 'sample-game' | 'sample-game-divergent';
    env?: NodeJS.ProcessEnv;
    args?: string[];
    production?: boolean;
    /** Resolve once the daemon is live (it answers hello and health), not once it is ready. */
    live?: boolean;
  } = {},
): Promise<DaemonProcess> {
  const root = options.root ?? (await copyFixture(options.fixture ?? 'sample-game'));
  const child = fork(
    options.production ? daemonEntryPoint() : testDaemonEntryPoint(),
    ['--project', root, ...(options.args ?? [])],
    {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...options.env },
    },
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const message = await new Promise<{
    type: string;
    pid?: number;
    socketPath?: string;
    error?: { code: string; message: string };
  }>((resolve, reject) => {
    child.once('message', (value) => resolve(value as never));
    void exited.then(({ code }) => reject(new Error(`daemon exited during start-up with code ${code}`)));
  });
  if (message.type !== 'ready')
    throw Object.assign(new Error(message.error?.message ?? 'daemon failed'), { code: message.error?.code });
  if (child.connected) child.disconnect();
  // The message comes once the daemon is live; most tests want its project open too.
  if (!options.live) await waitReady(message.socketPath!);
  return { root, child, pid: message.pid!, socketPath: message.socketPath!, exited };
}

/**
 * Resolves once a live daemon is ready (`daemon.ready` answers), over a raw socket so that no client-side logic
 * stands between; rejects with the open's error (its `code` copied) when the open failed.
 */
export async function waitReady(socketPath: string): Promise<number> {
  const raw = await RawSocket.connect(socketPath);
  try {
    raw.send(`${JSON.stringify({ jsonrpc: '2.0', id: 'ready', method: 'daemon.ready', params: {} })}\n`);
    const [answer] = (await raw.waitForMessages(1, 120_000)) as Answer[];
    if (!answer) throw new Error('the daemon closed the connection before it was ready');
    if (answer.error)
      throw Object.assign(new Error(answer.error.message), { code: answer.error.data?.code as string | undefined });
    return (answer.result as { revision: number }).revision;
  } finally {
    raw.close();
  }
}

/** Stops a daemon process (SIGKILL if it does not exit after SIGTERM) and removes its project copy. */
export async function stopDaemon(daemon: DaemonProcess, options: { keepRoot?: boolean } = {}): Promise<void> {
  if (daemon.child.exitCode === null && daemon.child.signalCode === null) {
    daemon.child.kill('SIGTERM');
    const timer = setTimeout(() => daemon.child.kill('SIGKILL'), 10_000);
    await daemon.exited;
    clearTimeout(timer);
  }
  if (!options.keepRoot) rmSync(daemon.root, { recursive: true, force: true });
}

/** A client connected to a running daemon (never starts one). */
export function connectClient(root: string, client = 'test'): Promise<DaemonClient> {
  return ProjectClient.connect(root, { client, autoStart: false });
}

/** Starts the test daemon's `test.longOperation` (progress events, optionally held until cancelled); resolves with its
 * id. */
export function longOperation(root: string, params: TestOperationParams): Promise<string> {
  return callTestOperation(root, params);
}

/** Collects a client's events and lets tests wait for a condition over them. */
export class EventRecorder {
  readonly events: EventEnvelope[] = [];
  private waiters: { predicate: (events: EventEnvelope[]) => boolean; resolve: () => void }[] = [];

  readonly onEvent = (event: EventEnvelope): void => {
    this.events.push(event);
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.predicate(this.events)) return true;
      waiter.resolve();
      return false;
    });
  };

  /** Resolves when the predicate holds over the events seen so far; rejects after `timeoutMs`. */
  waitFor(predicate: (events: EventEnvelope[]) => boolean, timeoutMs = 15_000, what = 'events'): Promise<void> {
    if (predicate(this.events)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; saw: ${this.events.map((e) => e.type).join(', ')}`)),
        timeoutMs,
      );
      this.waiters.push({ predicate, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** Resolves with the terminal event of an operation. */
  async terminalOf(operationId: string, timeoutMs?: number): Promise<EventEnvelope> {
    const isTerminal = (event: EventEnvelope) =>
      event.operationId === operationId && ['completed', 'failed', 'cancelled'].includes(event.type);
    await this.waitFor((events) => events.some(isTerminal), timeoutMs, `terminal event of ${operationId}`);
    return this.events.find(isTerminal)!;
  }
}

/** One JSON-RPC answer as it arrives on the wire. */
export interface Answer {
  jsonrpc: '2.0';
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: Record<string, unknown> };
}

/** A raw socket to the daemon, for protocol-level tests: send bytes, read NDJSON answers. */
export class RawSocket {
  readonly socket: net.Socket;
  private buffer = '';
  readonly messages: unknown[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let index: number;
      while ((index = this.buffer.indexOf('\n')) !== -1) {
        const line = this.buffer.slice(0, index);
        this.buffer = this.buffer.slice(index + 1);
        if (line.trim()) this.messages.push(JSON.parse(line));
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(socketPath: string): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath, () => resolve(new RawSocket(socket)));
      socket.once('error', reject);
    });
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Waits until `count` messages arrived, or the socket closed. */
  async waitForMessages(count: number, timeoutMs = 15_000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count && !this.closed) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${count} messages (have ${this.messages.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
    return this.messages;
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

export { isDaemonAlive, projectFiles };
