import { spawnSync } from 'node:child_process';
import { accessSync, constants, lstatSync, mkdtempSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Whether external tools can run inside bubblewrap on this machine, and why not. */
export type SandboxProbe =
  { available: true; bwrap: string; version: string } | { available: false; reason: string; hint: string };

/** Set to a bwrap path to use that one; `none` runs tools as if bubblewrap were missing (tests, or a broken
 * install). */
export const BWRAP_ENV = 'PACKER_BWRAP';

// Root entries bound read-only when they are folders (or recreated when they are symlinks, as on merged-/usr systems).
const SYSTEM_ROOTS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
// The few /etc files a dynamically linked tool needs; nothing that names the machine's users' secrets.
const ETC_FILES = [
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/passwd',
  '/etc/group',
  '/etc/nsswitch.conf',
  '/etc/localtime',
];
// A failed probe is retried after this long, so installing bubblewrap takes effect without a restart.
const NEGATIVE_PROBE_TTL_MS = 30_000;

let cached: { key: string; probe: SandboxProbe; at: number } | undefined;

/**
 * Finds bubblewrap and checks that it can build the sandbox tools run in (it cannot where unprivileged
 * user namespaces are disabled and bwrap is not setuid). Runs `bwrap … true` once; the answer is cached.
 */
export function probeToolSandbox(env: NodeJS.ProcessEnv = process.env): SandboxProbe {
  const key = `${env[BWRAP_ENV] ?? ''}\0${env.PATH ?? ''}`;
  if (cached?.key === key && (cached.probe.available || Date.now() - cached.at < NEGATIVE_PROBE_TTL_MS))
    return cached.probe;
  const probe = runProbe(env);
  cached = { key, probe, at: Date.now() };
  return probe;
}

function runProbe(env: NodeJS.ProcessEnv): SandboxProbe {
  const install =
    "Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap) so that tools run without network, without the daemon's environment and without the rest of the disk.";
  const chosen = env[BWRAP_ENV];
  if (chosen === 'none')
    return {
      available: false,
      reason: `bubblewrap (bwrap) is disabled by ${BWRAP_ENV}=none`,
      hint: `Unset ${BWRAP_ENV}.`,
    };
  const bwrap = chosen || findExecutable('bwrap', env.PATH);
  if (!bwrap) return { available: false, reason: 'bubblewrap (bwrap) is not installed', hint: install };
  const shell = findExecutable('true', '/usr/bin:/bin');
  if (!shell) return { available: false, reason: 'no "true" binary to test bubblewrap with', hint: install };
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'packer-bwrap-probe-'));
  let result;
  try {
    result = spawnSync(bwrap, [...sandboxFlags({ workDir, env: { PATH: '/usr/bin:/bin' } }), '--', shell], {
      encoding: 'utf8',
      timeout: 10_000,
      env: { PATH: env.PATH ?? '' },
    });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  if (result.status !== 0) {
    const why = (result.error?.message ?? result.stderr.trim()) || `exit status ${result.status}`;
    return {
      available: false,
      reason: `bubblewrap (${bwrap}) cannot create a sandbox here: ${why}`,
      hint: 'Allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or the AppArmor bwrap profile on Ubuntu), or install bwrap setuid.',
    };
  }
  const version = spawnSync(bwrap, ['--version'], { encoding: 'utf8', timeout: 10_000 }).stdout?.trim() || 'bubblewrap';
  return { available: true, bwrap, version };
}

/** What the sandbox must expose for one run. */
export interface SandboxMounts {
  /** The tool's only writable folder, also its working directory, HOME and TMPDIR. */
  workDir: string;
  /** The input file, bound read-only at its own path. */
  input?: string;
  /** The tool's binary, when it is not already under a system folder. */
  executable?: string;
  /** Extra read-only paths the tool declared (`readPaths`). */
  readPaths?: readonly string[];
  /** The tool's whole environment. */
  env: Readonly<Record<string, string>>;
}

/**
 * bwrap flags for one run. Every namespace is new (no network: only a loopback of its own; a pid namespace
 * with its own /proc, so no other process and no /proc/<pid>/environ is visible), every capability is
 * dropped, and the root is an empty tmpfs holding only /usr, /bin, /lib*, a few /etc files, a fresh /dev,
 * a tmpfs /tmp, the binary, the input read-only and the work folder read-write, each at its own path so
 * arguments need no rewriting. The sandbox dies with the packer.
 */
export function sandboxFlags(mounts: SandboxMounts): string[] {
  const flags = ['--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--clearenv'];
  for (const [name, value] of Object.entries(mounts.env)) flags.push('--setenv', name, value);
  flags.push('--ro-bind', '/usr', '/usr');
  for (const root of SYSTEM_ROOTS) {
    const kind = entryKind(root);
    if (kind === 'symlink') flags.push('--symlink', readlinkSync(root), root);
    else if (kind === 'dir') flags.push('--ro-bind', root, root);
  }
  for (const file of ETC_FILES) flags.push('--ro-bind-try', file, file);
  flags.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  if (mounts.executable && !underSystemRoot(mounts.executable))
    flags.push('--ro-bind', mounts.executable, mounts.executable);
  for (const extra of mounts.readPaths ?? []) flags.push('--ro-bind-try', extra, extra);
  if (mounts.input) flags.push('--ro-bind', mounts.input, mounts.input);
  flags.push('--bind', mounts.workDir, mounts.workDir, '--chdir', mounts.workDir);
  return flags;
}

/** The absolute path `execvp` would run for `command` with this PATH, or undefined. */
export function findExecutable(command: string, searchPath: string | undefined): string | undefined {
  if (command.includes('/')) return isExecutableFile(command) ? path.resolve(command) : undefined;
  for (const dir of (searchPath ?? '').split(':')) {
    if (!dir || !path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function entryKind(file: string): 'dir' | 'symlink' | 'other' | 'missing' {
  try {
    const stat = lstatSync(file);
    return stat.isSymbolicLink() ? 'symlink' : stat.isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
  }
}

function underSystemRoot(file: string): boolean {
  return ['/usr', ...SYSTEM_ROOTS].some((root) => file.startsWith(`${root}/`) && entryKind(root) !== 'missing');
}
