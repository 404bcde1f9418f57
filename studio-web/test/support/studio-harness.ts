import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { connectToDaemon, isDaemonAlive } from '@packer/client';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of each state, for people reading a run (git-ignored). */
export const ARTIFACTS = path.join(repo, 'studio-web', 'test-artifacts');
export const WEB_DIST = path.join(repo, 'studio-web', 'dist', 'index.html');

/** `packer studio --json` on a project: the URL it printed, and the process. */
export interface StudioProcess {
  url: string;
  base: string;
  daemonPid: number;
  child: ChildProcess;
  exited: Promise<void>;
}

export async function startStudio(root: string): Promise<StudioProcess> {
  const child = spawn(process.execPath, [path.join(repo, 'cli', 'bin', 'run.js'), 'studio', '-C', root, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const end = stdout.indexOf('\n');
      if (end !== -1) resolve(stdout.slice(0, end));
    });
    void exited.then(() => reject(new Error(`packer studio exited before serving: ${stderr}`)));
  });
  const started = JSON.parse(line) as { url: string; daemonPid: number };
  return {
    url: started.url,
    base: started.url.slice(0, started.url.indexOf('#')),
    daemonPid: started.daemonPid,
    child,
    exited,
  };
}

export async function stopStudio(studio: StudioProcess | undefined): Promise<void> {
  if (!studio || studio.child.exitCode !== null || studio.child.signalCode !== null) return;
  studio.child.kill('SIGTERM');
  await studio.exited;
}

/** Stops whatever daemon serves the project (the studio starts it detached) and waits for its process to exit. */
export async function stopProjectDaemon(root: string): Promise<void> {
  const running = await connectToDaemon(root, { client: 'test', autoStart: false }).catch(() => undefined);
  if (!running) return;
  const { pid } = running.hello;
  const closed = new Promise<void>((resolve) => running.connection.onClose(() => resolve()));
  await running.connection.call('daemon.shutdown', { reason: 'test' }).catch(() => undefined);
  await closed;
  while (isDaemonAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Chromium from the system package, headless, in a fresh profile folder removed by `close`. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(path.join(tmpdir(), 'studio-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Waits until the page holds exactly `count` elements matching `selector`. */
export async function waitForCount(page: Page, selector: string, count: number): Promise<void> {
  await page.waitForFunction(([css, n]) => document.querySelectorAll(css).length === n, [selector, count] as const);
}

export const chromiumAvailable = (): boolean => existsSync(CHROMIUM);
