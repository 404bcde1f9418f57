import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { connectToDaemon } from '@packer/client';
import { copyFixture } from '@packer/fixtures';
import {
  chromiumAvailable,
  CHROMIUM,
  launchBrowser,
  screenshot,
  startStudio,
  stopProjectDaemon,
  stopStudio,
  waitForCount,
  WEB_DIST,
  type StudioProcess,
} from './support/studio-harness.js';

// The reference Studio in a real browser: Chromium from the system package, driven by playwright-core.
const available = chromiumAvailable();
if (!available) {
  console.warn(
    `\n!!! SKIPPED: the Studio browser tests need Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it). !!!\n`,
  );
}

describe.skipIf(!available)('the reference Studio page in Chromium', () => {
  let browser: { context: BrowserContext; close(): Promise<void> };
  let root: string | undefined;
  let studio: StudioProcess | undefined;
  let page: Page | undefined;

  beforeAll(async () => {
    expect(existsSync(WEB_DIST), `${WEB_DIST} (run \`npm run build\`)`).toBe(true);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await page?.close();
    page = undefined;
    await stopStudio(studio);
    studio = undefined;
    if (root) {
      await stopProjectDaemon(root);
      rmSync(root, { recursive: true, force: true });
    }
    root = undefined;
  });

  async function open(token?: string): Promise<Page> {
    root = await copyFixture('sample-game');
    studio = await startStudio(root);
    page = await browser.context.newPage();
    await page.goto(token === undefined ? studio.url : `${studio.base}#token=${token}`);
    return page;
  }

  const row = (path: string) => `[data-testid="asset-row"][data-path="${path}"]`;

  it('shows the 45 assets of the sample project, with the packer’s counts, and no token left in the address bar', async () => {
    const page = await open();
    await waitForCount(page, '[data-testid="asset-row"]', 45);
    expect(await page.getByTestId('asset-total').textContent()).toBe('45');
    expect(await page.getByTestId('summary-assets').textContent()).toBe('45');
    expect(await page.getByTestId('session-state').textContent()).toBe('ready');
    expect(page.url()).not.toContain('token');
    await screenshot(page, '1-navigator');
  });

  it('a file deleted outside: the divergence banner and a missing badge appear; the banner previews the packer’s reconcile', async () => {
    const page = await open();
    await waitForCount(page, '[data-testid="asset-row"]', 45);
    rmSync(path.join(root!, 'assets/sprites/enemies/bat.png'));
    await page.getByTestId('divergence-banner').waitFor();
    await page
      .locator(`${row('assets/sprites/enemies/bat.png')}[data-status="missing"] [data-testid="badge-missing"]`)
      .waitFor();
    expect(await page.getByTestId('session-state').textContent()).toBe('stale');
    await page.getByTestId('preview-reconcile').click();
    await page.locator('[data-testid="plan"]').waitFor();
    expect(await page.locator('[data-testid="plan"]').textContent()).toContain('reconcile');
    await screenshot(page, '2-divergence');
  });

  it('previews and applies a move typed in the page: the tree follows and the asset keeps its id', async () => {
    const page = await open();
    await waitForCount(page, '[data-testid="asset-row"]', 45);
    const before = page.locator(row('assets/sprites/enemies/bat.png'));
    const id = await before.getAttribute('data-asset-id');
    expect(id).toMatch(/^a_/);
    await before.locator('button').click();
    await page.getByTestId('details-id').filter({ hasText: id! }).waitFor();
    await page.getByTestId('move-to').fill('assets/sprites/enemies/flying/bat.png');
    await page.getByTestId('preview-move').click();
    await page.getByTestId('plan-filesystem-row').waitFor();
    expect(await page.getByTestId('plan-registry-row').textContent()).toContain(id);
    await screenshot(page, '3-move-preview');
    await page.getByTestId('apply-plan').click();
    await page.locator(`${row('assets/sprites/enemies/flying/bat.png')}[data-asset-id="${id}"]`).waitFor();
    await waitForCount(page, row('assets/sprites/enemies/bat.png'), 0);
    await page.getByTestId('details-path').filter({ hasText: 'assets/sprites/enemies/flying/bat.png' }).waitFor();
    expect(existsSync(path.join(root!, 'assets/sprites/enemies/flying/bat.png'))).toBe(true);
    await screenshot(page, '4-move-applied');
  });

  it('a build started from the page: its row shows the packer’s progress and ends completed with the pack digests', async () => {
    const page = await open();
    await waitForCount(page, '[data-testid="asset-row"]', 45);
    // Record every progress the build row shows while it runs.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      new MutationObserver(() => {
        const text = document.querySelector('[data-kind="build"] [data-testid="progress-text"]')?.textContent;
        if (text && seen.at(-1) !== text) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByTestId('build').click();
    const done = page.locator('[data-testid="activity-row"][data-kind="build"][data-status="completed"]');
    await done.waitFor();
    const progress = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    expect(progress.length).toBeGreaterThan(0);
    const [last, total] = progress.at(-1)!.split(' / ').map(Number);
    expect(last).toBe(total);
    expect(await done.locator('progress').count()).toBe(1);
    const shown = Object.fromEntries(
      await done
        .getByTestId('pack-row')
        .evaluateAll((rows) =>
          rows.map((tr) => [
            tr.getAttribute('data-pack'),
            tr.querySelector('[data-testid="pack-digest"]')?.textContent,
          ]),
        ),
    ) as Record<string, string>;
    // The digests are the packer's: the ones its manifests record.
    const manifests = readdirSync(path.join(root!, 'build')).filter((file) => file.endsWith('.manifest.json'));
    expect(manifests.length).toBeGreaterThan(0);
    for (const file of manifests) {
      const manifest = JSON.parse(readFileSync(path.join(root!, 'build', file), 'utf8')) as {
        pack: string;
        digest: string;
      };
      expect(shown[manifest.pack]).toBe(manifest.digest);
    }
    await screenshot(page, '5-build-completed');
  });

  it('a wrong token in the fragment: the page shows the packer’s refusal and no data', async () => {
    const page = await open('0'.repeat(64));
    const error = page.getByTestId('connect-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('The token does not match .packer/ws-token.');
    expect(await page.getByTestId('asset-row').count()).toBe(0);
    expect(await page.getByTestId('project-name').count()).toBe(0);
    await screenshot(page, '6-wrong-token');
  });

  it('keeps working across a daemon restart: reconnects, and no activity row is lost or doubled', async () => {
    const page = await open();
    await waitForCount(page, '[data-testid="asset-row"]', 45);
    const builds = '[data-testid="activity-row"][data-kind="build"][data-status="completed"]';
    await page.getByTestId('build').click();
    await waitForCount(page, builds, 1);
    const firstBuild = await page.locator(builds).getAttribute('data-operation-id');

    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { statesSeen: string[] }).statesSeen = seen;
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="session-state"]')?.textContent;
        if (text && seen.at(-1) !== text) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await stopProjectDaemon(root!);
    // The page asks `packer studio` for the endpoint again, which brings the daemon back with its listener.
    await page.waitForFunction(() => {
      const seen = (window as unknown as { statesSeen: string[] }).statesSeen;
      return seen.includes('reconnecting') && seen.at(-1) === 'ready';
    });
    const restarted = await connectToDaemon(root!, { client: 'test', autoStart: false });
    restarted.connection.close();
    expect(restarted.hello.pid).not.toBe(studio!.daemonPid);
    await page.getByTestId('build').click();
    await waitForCount(page, builds, 2);
    const ids = await page
      .locator('[data-testid="activity-row"]')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-operation-id')));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(firstBuild);
    await waitForCount(page, '[data-testid="asset-row"]', 45);
    await screenshot(page, '7-after-restart');
  }, 60_000);
});
