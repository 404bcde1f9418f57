import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The real `packer` bin; it runs the compiled `cli/dist` (build with `npx tsc -b` first). */
export const PACKER_BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

/** One finished run of the bin. */
export interface PackerRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as one JSON document (`--json`). */
  json<T = Record<string, unknown>>(): T;
  /** stderr as oclif prints it, with its ` ›   ` prefixes and line wrapping undone, so messages match whole. */
  errorText: string;
}

/**
 * The environment of a developer's shell: no CI, so commands use the project daemon (started on demand).
 * Colour and debug switches the test runner may carry are dropped so output is plain text.
 */
export function developerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    'CI',
    'CONTINUOUS_INTEGRATION',
    'PACKER_DAEMON',
    'PACKER_TEST_HOOKS',
    'PACKER_SOCKET_DIR',
    'FORCE_COLOR',
    'DEBUG',
  ])
    delete env[name];
  return { ...env, NO_COLOR: '1', ...extra };
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Fail the test if the bin has not exited by then. */
  timeoutMs?: number;
}

/** Runs `packer <args>` in `cwd` with stdin closed (never a TTY, so nothing prompts) and collects its output. */
export function packer(cwd: string, args: readonly string[], options: RunOptions = {}): Promise<PackerRun> {
  const child = spawnPacker(cwd, args, options);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `packer ${args.join(' ')} did not exit within ${timeoutMs} ms.\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        errorText: unwrapOclifError(stderr),
        json<T>(): T {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(
              `packer ${args.join(' ')} printed no JSON document (exit ${code}).\nstdout: ${stdout}\nstderr: ${stderr}`,
            );
          }
        },
      });
    });
  });
}

/** Starts `packer <args>` without waiting (for `--follow`, `top` and the like). */
export function spawnPacker(cwd: string, args: readonly string[], options: RunOptions = {}): ChildProcess {
  return spawn(process.execPath, [PACKER_BIN, ...args], {
    cwd,
    env: options.env ?? developerEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Joins oclif's wrapped ` ›   ` error lines back into plain text. */
function unwrapOclifError(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => line.replace(/^\s*›\s?/, '').trim())
    .filter(Boolean)
    .join(' ')
    .replace(/\s+/g, ' ');
}

/** Parses NDJSON output (`events --json`): one event a line. */
export function ndjson<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}
