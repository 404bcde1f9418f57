// What every section receives: options, the shared temp workspaces, printers, measurement helpers, baselines.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASELINES } from './baselines.mjs';
import { renderTable } from './markdown-table.mjs';
import { measure } from './measure.mjs';
import { HAS_GNU_TIME, runNodeScript, runProcess } from './run-process.mjs';

/** Absolute URLs of the compiled public entry points, for `import` inside child `node` processes. */
export const PACKAGES = {
  core: import.meta.resolve('@packer/core'),
  client: import.meta.resolve('@packer/client'),
  fixtures: import.meta.resolve('@packer/fixtures'),
};

// About 50 files per folder, as in the 100k-file / 2,052-folder tree DESIGN.md §11 and §10 were measured on.
const FILES_PER_FOLDER = 50;

/** Child folders per level (3 levels) that give about FILES_PER_FOLDER files per folder. */
export function foldersPerLevelFor(files) {
  return Math.max(2, Math.round(Math.cbrt(files / FILES_PER_FOLDER)));
}

/**
 * Creates the context of one benchmark run. Workspaces are generated on first use into one temp folder and
 * shared by every section; `dispose()` runs the cleanups sections registered, then deletes the folder.
 */
export function createBenchContext({
  quick,
  sizes,
  runs,
  keep,
  trials,
  seed,
  scale1m = false,
  write = (text) => process.stdout.write(text),
}) {
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'packer-bench-'));
  const workspaces = new Map();
  const memos = new Map();
  const cleanups = [];

  const ctx = {
    quick,
    /** File counts to benchmark, ascending. */
    sizes,
    /** Repetitions per whole-process measurement (median taken). */
    runs,
    /** Kill -9 trials and PRNG seed of the reliability section (undefined: its defaults). */
    trials,
    seed,
    /** True with --scale-1m: the scale section also runs at 1,000,000 files. */
    scale1m,
    /** True with --keep: temp folders stay for inspection. */
    keep,
    tempDir,
    packages: PACKAGES,
    hasGnuTime: HAS_GNU_TIME,

    /** Progress for the person waiting (stderr, so stdout stays clean Markdown). */
    log(message) {
      process.stderr.write(`[bench] ${message}\n`);
    },

    /** Prints a Markdown table; see renderTable for the row shapes. */
    table(title, columns, rows, notes) {
      write(`${renderTable(title, columns, rows, notes)}\n`);
    },

    /** Prints a paragraph or heading of Markdown. */
    print(markdown) {
      write(`${markdown}\n\n`);
    },

    /** Median of `runs` (default ctx.runs) calls of `once`; see lib/measure.mjs. */
    measure(once, { runs: count = ctx.runs, before } = {}) {
      return measure(count, once, { before });
    },

    runProcess,
    runNodeScript,

    /**
     * A registered synthetic workspace of `files` files (seed 1), generated on first use:
     * `{ root, files, bytes, folders, generateMs }`. Sections may add `.packer/` state but must leave assets as found.
     */
    workspace(files) {
      if (!workspaces.has(files)) {
        workspaces.set(
          files,
          (async () => {
            const { generateWorkspace } = await import(PACKAGES.fixtures);
            const root = path.join(tempDir, `ws-${files}`);
            ctx.log(`generating ${files.toLocaleString('en-US')} files in ${root}`);
            const started = performance.now();
            const result = await generateWorkspace({
              root,
              files,
              register: true,
              seed: 1,
              depth: 3,
              foldersPerLevel: foldersPerLevelFor(files),
            });
            return { ...result, generateMs: performance.now() - started };
          })(),
        );
      }
      return workspaces.get(files);
    },

    /** Workspaces generated so far (resolved). */
    async generatedWorkspaces() {
      return Promise.all(workspaces.values());
    },

    /** Computes `compute()` once per key for the whole run (e.g. a baseline another section also needs). */
    memo(key, compute) {
      if (!memos.has(key)) memos.set(key, compute());
      return memos.get(key);
    },

    /** Median `{ ms, peakRssKb }` of a named baseline (lib/baselines.mjs) over `root`, measured once per run. */
    baseline(name, root) {
      const run = BASELINES[name];
      if (!run) throw new Error(`Expected a baseline name among ${Object.keys(BASELINES).join(', ')}, got ${name}.`);
      return ctx.memo(`baseline:${name}:${root ?? ''}`, () => ctx.measure(() => run(root)));
    },

    /** Removes a project's runtime state so the next open is cold. */
    resetState(root) {
      rmSync(path.join(root, '.packer'), { recursive: true, force: true });
    },

    /** Registers work for the end of the run (stopping daemons a failed section left behind). */
    onCleanup(cleanup) {
      cleanups.push(cleanup);
    },

    async dispose() {
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          await cleanup();
        } catch (error) {
          ctx.log(`cleanup failed: ${error.message}`);
        }
      }
      if (keep) ctx.log(`kept ${tempDir}`);
      else if (existsSync(tempDir)) rmSync(tempDir, { recursive: true, force: true });
    },
  };
  return ctx;
}
