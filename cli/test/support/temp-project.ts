import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { copyFixture, type FixtureName } from '@packer/fixtures';
import { isDaemonAlive, projectFiles, readEndpoint } from '@packer/client';
import { developerEnv, packer } from './packer-bin.js';

/** Registers cleanup for the test that created the project (the test context's `onTestFinished`). */
type OnFinished = (fn: () => Promise<void>) => void;

/** A temp copy of a fixture whose daemon is stopped (`packer daemon stop`) and folder removed when the test ends. */
export async function fixtureProject(name: FixtureName, onFinished: OnFinished): Promise<string> {
  const root = await copyFixture(name);
  onFinished(() => disposeProject(root));
  return root;
}

/** An empty temp folder, removed when the test ends (stopping a daemon if a test started one in it). */
export async function emptyFolder(onFinished: OnFinished): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'packer-cli-'));
  onFinished(() => disposeProject(root));
  return root;
}

/** The pid of the daemon serving `root`, if one is alive (from the endpoint file it writes). */
export function runningDaemonPid(root: string): number | undefined {
  const endpoint = readEndpoint(projectFiles(root).endpointFile);
  return endpoint && isDaemonAlive(endpoint.pid) ? endpoint.pid : undefined;
}

/** Stops the project's daemon the way a user would, kills it if that did not work, and removes the folder. */
export async function disposeProject(root: string): Promise<void> {
  if (existsSync(path.join(root, 'packer.json')) && runningDaemonPid(root) !== undefined) {
    await packer(root, ['daemon', 'stop'], { env: developerEnv() }).catch(() => undefined);
  }
  const leftover = runningDaemonPid(root);
  if (leftover !== undefined) process.kill(leftover, 'SIGKILL');
  await rm(root, { recursive: true, force: true });
}
