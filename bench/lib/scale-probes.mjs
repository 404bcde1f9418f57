// Whole-process probes of the scale section: the real CLI bin against its real daemon, git and find baselines on
// the same tree, and the daemon's CPU and disk headroom. A command that fails is an outcome to report, not a crash.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive, until } from './daemon-probes.mjs';

export const BIN = fileURLToPath(new URL('../../cli/bin/run.js', import.meta.url));
// The daemon path is what we measure: CI would make the CLI run in-process.
const ENV = { ...process.env, CI: '', PACKER_DAEMON: '1' };
// No automatic gc or maintenance: at 100k-1M files git would go on in the background after `commit` returns, racing
// the bench's own deletion of the tree (ENOTEMPTY in .git) and loading the machine during later rows.
const GIT_IDENTITY = [
  ...['-c', 'user.email=bench@packer', '-c', 'user.name=bench'],
  ...['-c', 'gc.auto=0', '-c', 'maintenance.auto=false'],
];

/**
 * Runs one command to completion (or until `timeoutMs`, then SIGKILL) and never rejects on its exit code:
 * `{ ms, code, signal, timedOut, stdout, stderr }`.
 */
export function runCommand(command, args, { cwd, env = ENV, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const text = (chunks) => Buffer.concat(chunks).toString('utf8');
      resolve({ ms: performance.now() - started, code, signal, timedOut, stdout: text(out), stderr: text(err) });
    });
  });
}

/** `packer <args> -C root` through the real bin; `--json` output parsed into `json` when it parses. */
export async function packer(root, args, { timeoutMs } = {}) {
  const run = await runCommand(process.execPath, [BIN, ...args, '-C', root], { cwd: root, timeoutMs });
  let json;
  try {
    json = args.includes('--json') ? JSON.parse(run.stdout) : undefined;
  } catch {
    // not JSON (a crash, a timeout): failureCode reads stderr instead
  }
  return { ...run, json, ok: run.code === 0 && !run.timedOut && json?.error === undefined };
}

/** The packer's error code of a failed run: the `--json` error, else the first CODE-like word of its output. */
export function failureCode(run) {
  if (run.timedOut) return 'TIMEOUT';
  if (run.json?.error?.code) return run.json.error.code;
  const word = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/.exec(`${run.stderr}\n${run.stdout}`)?.[0];
  return word ?? `exit ${run.code ?? run.signal}: ${run.stderr.trim().split('\n').at(-1)?.slice(0, 120) ?? ''}`;
}

/** Runs `packer`, throwing with the failure code when it fails (for steps the rest of the section needs). */
export async function packerOrThrow(root, args, options) {
  const run = await packer(root, args, options);
  if (!run.ok)
    throw Object.assign(new Error(`packer ${args.join(' ')} failed: ${failureCode(run)}`), { code: failureCode(run) });
  return run;
}

/** Git in `root` with a fixed identity; throws on failure. */
export async function git(root, args) {
  const run = await runCommand('git', [...GIT_IDENTITY, ...args], { cwd: root, env: process.env });
  if (run.code !== 0)
    throw new Error(`git ${args.join(' ')} exited with ${run.code}: ${run.stderr.trim().slice(-500)}`);
  return run;
}

/** The daemon's pid from `.packer/daemon.json`, when one is running for `root`. */
export function daemonPid(root) {
  try {
    const pid = JSON.parse(readFileSync(path.join(root, '.packer', 'daemon.json'), 'utf8')).pid;
    return Number.isSafeInteger(pid) && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stops the project's daemon: `packer daemon stop`, then SIGKILL of its pid if it is still there after 60 s. */
export async function stopDaemon(root) {
  const pid = daemonPid(root);
  if (pid === undefined) return;
  await packer(root, ['daemon', 'stop'], { timeoutMs: 60_000 });
  await until(() => !isAlive(pid), { timeoutMs: 60_000, intervalMs: 50, what: `daemon pid ${pid} to exit` }).catch(
    () => {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    },
  );
}

/** CPU time (user + system, all threads) a process has used, in clock ticks (100 per second on Linux). */
export function cpuTicks(pid) {
  try {
    // Fields after the `(comm)`, which may itself hold spaces: utime and stime are fields 14 and 15 of the line.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

/** CPU share (percent of one core) a process used over `seconds` of wall time. */
export async function idleCpuPercent(pid, seconds) {
  const before = cpuTicks(pid);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const ticks = cpuTicks(pid) - before;
  return { percent: (ticks / 100 / ((performance.now() - started) / 1000)) * 100, ticks };
}

/** Bytes free to an unprivileged user on the file system holding `folder`. */
export function freeBytes(folder) {
  const stats = statfsSync(folder);
  return stats.bavail * stats.bsize;
}

/** The first file with `extension` in a depth-first walk by name (the one-file build edits it). */
export function firstFile(dir, extension) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name.endsWith(extension)) return full;
    if (entry.isDirectory()) {
      const found = firstFile(full, extension);
      if (found) return found;
    }
  }
  return undefined;
}
