import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// Runs the compiled daemon (`npx tsc -b` first), as the other child-process tests do.
const DAEMON_DIST = fileURLToPath(new URL('../dist/daemon.js', import.meta.url));
const RUN_BUILD_DIST = fileURLToPath(new URL('../../packer-core/dist/processing/run-build.js', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Every module URL a fresh Node loads to import `entry`, recorded by a module hook. */
function modulesLoadedBy(entry: string): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'packer-imports-'));
  dirs.push(dir);
  const log = path.join(dir, 'loaded.txt');
  const hooks = path.join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }`,
  );
  const register = path.join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});`,
  );
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      pathToFileURL(register).href,
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(pathToFileURL(entry).href)})`,
    ],
    { encoding: 'utf8' },
  );
  expect(run.status, run.stderr).toBe(0);
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

describe('daemon start-up imports', () => {
  it('loads neither execa (external tools, ~130 modules) nor ws (browser Studio) before they are used', () => {
    const loaded = modulesLoadedBy(DAEMON_DIST);
    expect(loaded.some((url) => url.endsWith('/daemon/dist/daemon.js'))).toBe(true);
    expect(loaded.filter((url) => /\/node_modules\/(execa|ws)\//.test(url))).toEqual([]);
  });

  it('loads the build (run-build, processors, pack writer, remote cache session) only with the first build', () => {
    const loaded = modulesLoadedBy(DAEMON_DIST);
    const build =
      /\/packer-core\/dist\/(processing\/(run-build|build-jobs|processors\/[a-z-]+-processor|remote-cache\/remote-build-session)|packs\/(pack-writer|stage-worker|commit-packs))\.js$/;
    // ~60 modules a daemon's start-up never runs (issue 11, warm open): `runBuild` loads them on the first build.
    expect(loaded.filter((url) => build.test(url))).toEqual([]);
    // The pattern does name the build's modules (the assertion above is not vacuous).
    expect(modulesLoadedBy(RUN_BUILD_DIST).filter((url) => build.test(url)).length).toBeGreaterThan(8);
  });
});
