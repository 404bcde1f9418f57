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

/**
 * Sends every call at once over a new connection to the project's running daemon, before anything else happens,
 * and resolves with the replies in the order of `calls`. It never starts a daemon and never throws: when there is
 * no project, no safe socket, no daemon, or the connection ends early, it resolves `undefined`, and the caller does
 * what it would have done without it (the full client finds, starts or rejects the daemon and reports why). The
 * first call should be `daemon.hello`, so the caller can check the protocol version before using the others.
 */
export function pipelinedCalls(
  projectDir: string,
  calls: readonly PipelinedCall[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<PipelinedReply[] | undefined> {
  const root = nearestProjectRoot(projectDir);
  if (root === undefined) return Promise.resolve(undefined);
  const files = projectFiles(root, env);
  // The same check as every connect, before a byte goes out; what it finds is reported by the full client.
  if (socketSafetyProblem(files.socketPath, files.socketInSharedFolder) !== undefined)
    return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const replies: (PipelinedReply | undefined)[] = calls.map(() => undefined);
    let pending = calls.length;
    const decoder = new NdjsonDecoder(MAX_REPLY_BYTES);
    const socket = net.connect(files.socketPath);
    let done = false;
    const finish = (outcome: PipelinedReply[] | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(silence);
      socket.removeAllListeners('data');
      // As the socket transport closes: no waiting for the daemon's side of the close.
      socket.end();
      socket.unref();
      setTimeout(() => socket.destroy(), 1_000).unref();
      resolve(outcome);
    };
    const silence = setTimeout(() => finish(undefined), SILENCE_MS);
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) {
          const message = JSON.parse(frame) as { id?: unknown; result?: unknown; error?: PipelinedError };
          const index = typeof message.id === 'number' ? message.id - 1 : -1;
          // Notifications (no id) are not ours to read here.
          if (index < 0 || index >= calls.length || replies[index] !== undefined) continue;
          replies[index] = message.error !== undefined ? { error: message.error } : { result: message.result };
          if (--pending === 0) finish(replies as PipelinedReply[]);
        }
      } catch {
        finish(undefined);
      }
    });
    // Written before the connection is up: Node sends it as soon as it is.
    socket.write(
      calls
        .map(
          (call, index) =>
            `${JSON.stringify({ jsonrpc: '2.0', id: index + 1, method: call.method, params: call.params })}\n`,
        )
        .join(''),
    );
  });
}
