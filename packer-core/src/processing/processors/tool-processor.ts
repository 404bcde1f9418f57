import { mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ToolRule } from '../../contract/config-schema.js';
import { expandToolArgs, mentionsOutput } from './tool-args.js';
import { findExecutable, probeToolSandbox, sandboxFlags } from './tool-sandbox.js';
import {
  cancelledError,
  changedDuringBuild,
  ProcessorFailure,
  throwIfCancelled,
  type ProcessorInput,
  type ProcessorOutput,
} from './processor.js';

/**
 * Runs one declared external tool on one asset, deny-by-default: no shell, placeholders only as whole
 * arguments, an environment of PATH plus HOME/TMPDIR set to a fresh temp working dir, a timeout, capped
 * stdout/stderr. Where the machine has bubblewrap (and the tool does not say `"sandbox": "off"`), the tool
 * runs inside it: no network, no other process in sight, nothing of the disk but system folders, the input
 * (read-only) and its work dir. The tool runs in its own process group, so a timeout or a cancel kills it
 * and anything it started. Its result is read from the output path the packer gave it, nowhere else.
 */
export async function runTool(
  name: string,
  tool: ToolRule,
  input: ProcessorInput,
  scratchDir: string,
): Promise<ProcessorOutput> {
  throwIfCancelled(input.signal);
  const before = statSync(input.absolute);
  if (before.size !== input.expected.size) throw changedDuringBuild();
  const workDir = mkdtempSync(path.join(scratchDir, 'tool-'));
  const output = path.join(workDir, `output${path.extname(input.absolute).toLowerCase()}`);
  try {
    let args: string[];
    try {
      args = expandToolArgs(tool, { input: input.absolute, output, settings: input.settings });
    } catch (error) {
      throw new ProcessorFailure(`tool "${name}" (${tool.command}) was not run: ${(error as Error).message}`);
    }
    const env = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: workDir, TMPDIR: workDir };
    const command = commandLine(name, tool, args, { workDir, input: input.absolute, env });
    // Imported here: execa is ~130 modules (~70 ms of CPU) that every daemon start loaded for builds it may never run.
    const { execa } = await import('execa');
    // A cancel during that import (a daemon's first tool run loads it) found no listener yet: check before starting
    // the tool, or it would run its full time with nobody to kill it.
    throwIfCancelled(input.signal);
    const subprocess = execa(command.file, command.args, {
      shell: false,
      cwd: workDir,
      env: command.env,
      extendEnv: false,
      preferLocal: false,
      stdin: 'ignore',
      maxBuffer: tool.maxOutputBytes,
      detached: true,
      cleanup: true,
      reject: false,
      windowsHide: true,
    });
    let timedOut = false;
    const killGroup = (): void => {
      try {
        if (subprocess.pid !== undefined) process.kill(-subprocess.pid, 'SIGKILL');
      } catch {
        subprocess.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, tool.timeoutMs);
    input.signal.addEventListener('abort', killGroup, { once: true });
    const result = await subprocess.finally(() => {
      clearTimeout(timer);
      input.signal.removeEventListener('abort', killGroup);
    });
    if (input.signal.aborted) throw cancelledError(input.signal);
    if (timedOut)
      throw new ProcessorFailure(
        `tool "${name}" (${tool.command}) did not finish within its timeout of ${tool.timeoutMs} ms and was killed`,
      );
    if (result.isMaxBuffer)
      throw new ProcessorFailure(
        `tool "${name}" (${tool.command}) wrote more than maxOutputBytes (${tool.maxOutputBytes}) to stdout or stderr and was stopped`,
      );
    if (result.failed) {
      const detail = tail(String(result.stderr ?? '')) || result.shortMessage || 'no error output';
      const how =
        result.exitCode !== undefined
          ? `exited with code ${result.exitCode}`
          : result.signal
            ? `was killed by ${result.signal}`
            : 'could not be started';
      throw new ProcessorFailure(`tool "${name}" (${tool.command}) ${how}: ${detail}`);
    }
    let written;
    try {
      written = statSync(output);
    } catch {
      const why = mentionsOutput(tool) ? '' : ' (none of its "args" passes {output})';
      throw new ProcessorFailure(
        `tool "${name}" (${tool.command}) exited successfully but wrote no file at the output path${why}`,
      );
    }
    if (!written.isFile())
      throw new ProcessorFailure(`tool "${name}" (${tool.command}) left something other than a file at {output}`);
    const after = statSync(input.absolute);
    if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) throw changedDuringBuild();
    // Move the output out of the work dir before it is removed; the cache appends it to its segment.
    const kept = input.scratchFile(path.extname(output));
    renameSync(output, kept);
    return { type: 'file', file: kept, metadata: {} };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The tool's own command line, or bwrap's wrapping it, as the tool's `sandbox` mode and the machine allow. */
function commandLine(
  name: string,
  tool: ToolRule,
  args: string[],
  run: { workDir: string; input: string; env: Record<string, string> },
): { file: string; args: string[]; env: Record<string, string> } {
  const direct = { file: tool.command, args, env: run.env };
  if (tool.sandbox === 'off') return direct;
  const sandbox = probeToolSandbox();
  if (!sandbox.available) {
    if (tool.sandbox === 'required')
      throw new ProcessorFailure(`tool "${name}" (${tool.command}) requires a sandbox, and ${sandbox.reason}`);
    return direct;
  }
  const executable = findExecutable(tool.command, run.env.PATH);
  if (!executable)
    throw new ProcessorFailure(
      `tool "${name}" (${tool.command}) could not be started: no executable "${tool.command}" on PATH`,
    );
  // bwrap itself gets only PATH; the tool's environment is set inside the sandbox (--clearenv, --setenv).
  return {
    file: sandbox.bwrap,
    args: [...sandboxFlags({ ...run, executable, readPaths: tool.readPaths }), '--', executable, ...args],
    env: { PATH: run.env.PATH ?? '' },
  };
}

function tail(text: string, max = 500): string {
  const trimmed = text.trim();
  return trimmed.length > max ? `…${trimmed.slice(-max)}` : trimmed;
}
