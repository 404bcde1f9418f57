import net from 'node:net';
import { NdjsonDecoder } from './ndjson-decoder.js';
import { nearestProjectRoot } from './nearest-project-root.js';
import { projectFiles } from './project-files.js';
import { socketSafetyProblem } from './socket-safety.js';

// Node built-ins only (no contract, no zod, no JSON-RPC library): this runs before a command loads anything else,
// so that the daemon works on the answer (a synced read waits ~50 ms for the watcher) while the command loads.

/** One request: a contract method and its params (the caller's types; nothing is checked here). */
export interface PipelinedCall {
  method: string;
  params: unknown;
}

/** A JSON-RPC error object as the daemon sent it. */
export interface PipelinedError {
  code: number;
  message: string;
  data?: unknown;
}

/** The daemon's answer to one call, as JSON-RPC gave it. */
export type PipelinedReply = { result: unknown } | { error: PipelinedError };

/** Replies are small summaries; anything bigger is left to the full client (its cap, its error). */
const MAX_REPLY_BYTES = 1024 * 1024;
/** A listener that says nothing this long is left to the full client, which reports it. */
const SILENCE_MS = 5_000;

/** The results of a batch in which every call succeeded, in call order; undefined when any failed or none came. */
export function pipelinedResults(replies: readonly PipelinedReply[] | undefined): unknown[] | undefined {
  if (!replies?.every((reply): reply is { result: unknown } => 'result' in reply)) return undefined;
  return replies.map((reply) => reply.result);
}

/** One connection to a project's running daemon, for calls sent in batches without the full client. */
export interface PipelinedSession {
  /** The project root the session's socket belongs to. */
  readonly root: string;
  /**
   * Sends every call at once and resolves with the replies in the order of `calls`; `undefined` when the
   * connection ended first (or, with `silenceMs`, the daemon said nothing that long). After that, the session is
   * over: every later batch resolves `undefined` too.
   */
  send(calls: readonly PipelinedCall[], options?: { silenceMs?: number }): Promise<PipelinedReply[] | undefined>;
  /** Ends the connection, as the socket transport closes it: no waiting for the daemon's side of the close. */
  close(): void;
}

/**
 * Opens a connection to the project's running daemon, or returns undefined when there is no project or no safe
 * socket (the full client finds, starts or rejects the daemon and reports why). It never starts a daemon and never
 * throws; a socket nobody listens on shows as a first batch that resolves `undefined`. Writes go out as soon as the
 * connection is up, so a first batch sent at once overlaps the connect.
 */
export function openPipelined(projectDir: string, env: NodeJS.ProcessEnv = process.env): PipelinedSession | undefined {
  const root = nearestProjectRoot(projectDir);
  if (root === undefined) return undefined;
  const files = projectFiles(root, env);
  // The same check as every connect, before a byte goes out; what it finds is reported by the full client.
  if (socketSafetyProblem(files.socketPath, files.socketInSharedFolder) !== undefined) return undefined;

  const decoder = new NdjsonDecoder(MAX_REPLY_BYTES);
  const socket = net.connect(files.socketPath);
  /** The reply slots of the batches in flight, by request id. */
  const waiting = new Map<number, (reply: PipelinedReply | undefined) => void>();
  let nextId = 1;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    socket.removeAllListeners('data');
    socket.end();
    socket.unref();
    setTimeout(() => socket.destroy(), 1_000).unref();
    for (const settle of waiting.values()) settle(undefined);
    waiting.clear();
  };
  socket.on('error', end);
  socket.on('close', end);
  socket.on('data', (chunk: Buffer) => {
    try {
      for (const frame of decoder.push(chunk)) {
        const message = JSON.parse(frame) as { id?: unknown; result?: unknown; error?: PipelinedError };
        // Notifications (no id) are not ours to read here.
        const settle = typeof message.id === 'number' ? waiting.get(message.id) : undefined;
        if (!settle) continue;
        waiting.delete(message.id as number);
        settle(message.error !== undefined ? { error: message.error } : { result: message.result });
      }
    } catch {
      end();
    }
  });

  const send = (calls: readonly PipelinedCall[], options: { silenceMs?: number } = {}) => {
    if (ended) return Promise.resolve(undefined);
    return new Promise<PipelinedReply[] | undefined>((resolve) => {
      const replies: PipelinedReply[] = [];
      let pending = calls.length;
      let done = false;
      const ids = calls.map(() => nextId++);
      const finish = (outcome: PipelinedReply[] | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(silence);
        for (const id of ids) waiting.delete(id);
        resolve(outcome);
      };
      const silence =
        options.silenceMs === undefined ? undefined : setTimeout(() => finish(undefined), options.silenceMs);
      ids.forEach((id, index) =>
        waiting.set(id, (reply) => {
          if (reply === undefined) return finish(undefined);
          replies[index] = reply;
          if (--pending === 0) finish(replies);
        }),
      );
      socket.write(
        calls
          .map(
            (call, index) =>
              `${JSON.stringify({ jsonrpc: '2.0', id: ids[index], method: call.method, params: call.params })}\n`,
          )
          .join(''),
      );
    });
  };
  return { root, send, close: end };
}

/**
 * Sends every call at once over a new connection to the project's running daemon, before anything else happens,
 * and resolves with the replies in the order of `calls`. It never starts a daemon and never throws: when there is
 * no project, no safe socket, no daemon, or the connection ends early, it resolves `undefined`, and the caller does
 * what it would have done without it (the full client finds, starts or rejects the daemon and reports why). The
 * first call should be `daemon.hello`, so the caller can check the protocol version before using the others.
 */
export async function pipelinedCalls(
  projectDir: string,
  calls: readonly PipelinedCall[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<PipelinedReply[] | undefined> {
  const session = openPipelined(projectDir, env);
  if (!session) return undefined;
  try {
    return await session.send(calls, { silenceMs: SILENCE_MS });
  } finally {
    session.close();
  }
}
