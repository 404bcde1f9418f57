// The registry of benchmark sections. Every other `*.mjs` file in this folder is a section: its default export
// is `{ name, title, run(ctx) }` (ctx: lib/bench-context.mjs). Drop a file here to add one; `--only <name>` picks.
// An engineer's bench/build-bench.mjs exporting `runBuildBench({ files, totalBytes })` becomes the `build` section.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Sections run in this order; unknown names run after these, alphabetically. */
const ORDER = ['core', 'daemon', 'cli', 'build'];
const here = fileURLToPath(new URL('.', import.meta.url));
const buildBenchFile = fileURLToPath(new URL('../build-bench.mjs', import.meta.url));

function checkedSection(section, source) {
  if (!section || typeof section.name !== 'string' || typeof section.run !== 'function') {
    throw new Error(
      `Expected ${source} to export default { name: string, run(ctx) }, got ${typeof section === 'object' ? Object.keys(section ?? {}).join(', ') || 'nothing' : typeof section}.`,
    );
  }
  return section;
}

/** Loads every section, in run order. */
export async function loadSections() {
  const sections = [];
  for (const file of readdirSync(here)
    .filter((name) => name.endsWith('.mjs') && name !== 'index.mjs')
    .sort()) {
    const module = await import(pathToFileURL(`${here}/${file}`).href);
    sections.push(checkedSection(module.default, `bench/sections/${file}`));
  }
  if (existsSync(buildBenchFile) && !sections.some((section) => section.name === 'build'))
    sections.push(await buildBenchSection());
  const rank = (name) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
  return sections.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

/** Wraps bench/build-bench.mjs; a file that fails to load becomes a section that reports why. */
async function buildBenchSection() {
  let runBuildBench;
  let loadError;
  try {
    ({ runBuildBench } = await import(pathToFileURL(buildBenchFile).href));
    if (typeof runBuildBench !== 'function') throw new Error('it does not export a function `runBuildBench`');
  } catch (error) {
    loadError = error;
  }
  return {
    name: 'build',
    title: 'Build (bench/build-bench.mjs)',
    async run(ctx) {
      if (loadError) throw new Error(`bench/build-bench.mjs could not be loaded: ${loadError.message}`);
      // Issue 5 measures a 10k-file / 1 GB workspace (100 MB with --quick); the build bench generates its own.
      const files = 10_000;
      const totalBytes = ctx.quick ? 100_000_000 : 1_000_000_000;
      const result = await runBuildBench({ files, totalBytes, tempDir: ctx.tempDir, runs: ctx.runs, quick: ctx.quick });
      printRows(ctx, `Build, ${files.toLocaleString('en-US')} files, ${Math.round(totalBytes / 1e6)} MB`, result);
    },
  };
}

/** Accepts rows as objects, `{ title, columns, rows, notes }`, or ready Markdown text. */
function printRows(ctx, title, result) {
  if (typeof result === 'string') return ctx.print(result);
  if (Array.isArray(result)) {
    const columns = [...new Set(result.flatMap((row) => Object.keys(row)))];
    return ctx.table(title, columns, result);
  }
  if (result && Array.isArray(result.rows)) {
    const columns = result.columns ?? [...new Set(result.rows.flatMap((row) => Object.keys(row)))];
    return ctx.table(result.title ?? title, columns, result.rows, result.notes);
  }
  ctx.print(`${title}: build bench returned nothing printable.`);
}
