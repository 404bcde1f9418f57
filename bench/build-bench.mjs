// Build benchmark (issue 5): a cold build of a synthetic workspace against `tar -cf` plus `sha256sum` over the
// same files in the same run, then a no-change rebuild and a one-file rebuild as ratios of the cold build.
// Every build runs in a fresh `node -e` process with the compiled @packer/core (start-up and imports included).
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CORE = new URL('../packer-core/dist/index.js', import.meta.url).href;
const FIXTURES = new URL('../fixtures/dist/index.js', import.meta.url).href;
const GNU_TIME = '/usr/bin/time';

/**
 * Generates a workspace of `files` equal-sized files totalling about `totalBytes` (default 1 GB: the 10k-file,
 * 1 GB workspace), every file registered, and measures (median of `runs`):
 * - `tar -cf` + `sha256sum`: the baseline, `tar` of the asset folder to a file, then sha256 of every asset on all
 *   cores;
 * - cold build: no `.packer/` and no `build/` (scan, hash, process, write every pack), × baseline;
 * - no-change rebuild: the same again with its state, × cold build;
 * - one-file rebuild: after appending a line to one text asset, × cold build.
 * Returns rows `{ name, seconds, ratio, vs, peakRssMb }`. The workspace is deleted unless `keep`.
 */
export async function runBuildBench({
  files = 10_000,
  totalBytes,
  tempDir,
  runs = 1,
  keep = false,
  log = (line) => process.stderr.write(`${line}\n`),
} = {}) {
  const bytes = totalBytes ?? 1e9;
  const base = mkdtempSync(path.join(tempDir ?? os.tmpdir(), 'packer-build-bench-'));
  const root = path.join(base, 'project');
  try {
    const { generateWorkspace } = await import(FIXTURES);
    const size = Math.max(1, Math.round(bytes / files));
    log(`build bench: generating ${files} files of ${size} bytes in ${root}`);
    const generated = await generateWorkspace({
      root,
      files,
      sizes: { min: size, max: size },
      register: true,
      seed: 5,
    });
    const baseline = await median(runs, async () => {
      const tarFile = path.join(base, 'assets.tar');
      const tar = await timed('tar', ['-cf', tarFile, '-C', root, 'assets']);
      rmSync(tarFile, { force: true });
      const sha = await timed(
        'sh',
        ['-c', `find assets -type f -print0 | xargs -0 -P${os.availableParallelism()} -n 256 sha256sum > /dev/null`],
        { cwd: root },
      );
      return { seconds: tar.seconds + sha.seconds, peakRssMb: Math.max(tar.peakRssMb, sha.peakRssMb) };
    });
    const cold = await median(runs, async () => {
      rmSync(path.join(root, '.packer'), { recursive: true, force: true });
      rmSync(path.join(root, 'build'), { recursive: true, force: true });
      return build(root);
    });
    const noChange = await median(runs, () => build(root));
    // A text asset: its processed output changes too, so its pack is written again.
    const target = firstFile(path.join(root, 'assets'), '.txt');
    const oneFile = await median(runs, () => {
      appendFileSync(target, 'one more line\n');
      return build(root);
    });
    const packBytes = readdirSync(path.join(root, 'build'))
      .filter((name) => name.endsWith('.pack'))
      .reduce((sum, name) => sum + statSync(path.join(root, 'build', name)).size, 0);
    log(
      `build bench: ${generated.files} files, ${mb(generated.bytes)} MB in, ${mb(packBytes)} MB of packs; cold build processed ${cold.processed}`,
    );
    return [
      {
        name: `tar -cf + sha256sum (${generated.files} files, ${mb(generated.bytes)} MB)`,
        seconds: round(baseline.seconds),
        ratio: 1,
        vs: 'baseline',
        peakRssMb: round(baseline.peakRssMb),
      },
      {
        name: 'cold build (no .packer/, no build/)',
        seconds: round(cold.seconds),
        ratio: round(cold.seconds / baseline.seconds),
        vs: 'tar + sha256sum',
        peakRssMb: round(cold.peakRssMb),
      },
      {
        name: `no-change rebuild (processed ${noChange.processed})`,
        seconds: round(noChange.seconds),
        ratio: round(noChange.seconds / cold.seconds),
        vs: 'cold build',
        peakRssMb: round(noChange.peakRssMb),
      },
      {
        name: `one-file rebuild (processed ${oneFile.processed})`,
        seconds: round(oneFile.seconds),
        ratio: round(oneFile.seconds / cold.seconds),
        vs: 'cold build',
        peakRssMb: round(oneFile.peakRssMb),
      },
    ];
  } finally {
    if (keep) log(`build bench: kept ${base}`);
    else rmSync(base, { recursive: true, force: true });
  }
}

/** One whole-process build with the compiled core; reports wall seconds, peak RSS and how many assets were
 * processed. */
async function build(root) {
  const script = `(async () => {
  const { Workspace, runBuild } = await import(${JSON.stringify(CORE)});
  const workspace = await Workspace.open(${JSON.stringify(root)});
  const report = await runBuild(workspace);
  await workspace.close();
  process.stdout.write(JSON.stringify({ counts: report.counts, maxRSS: process.resourceUsage().maxRSS }));
})().catch((error) => { console.error(error); process.exit(1); });`;
  const result = await timed(process.execPath, ['-e', script], { capture: true });
  const reported = JSON.parse(result.stdout);
  const peakRssMb = Number.isFinite(result.peakRssMb) ? result.peakRssMb : reported.maxRSS / 1024;
  return { seconds: result.seconds, peakRssMb, processed: reported.counts.processed };
}

/** Runs a command to completion; wall seconds and peak RSS (GNU time when installed). */
function timed(command, args, { cwd, capture = false } = {}) {
  const rssFile = existsSync(GNU_TIME)
    ? path.join(os.tmpdir(), `packer-build-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`)
    : undefined;
  const [file, argv] = rssFile ? [GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, { cwd, stdio: ['ignore', capture ? 'pipe' : 'ignore', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout?.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      let peakRssMb = Number.NaN;
      if (rssFile && existsSync(rssFile)) {
        peakRssMb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) / 1024;
        rmSync(rssFile, { force: true });
      }
      if (code !== 0)
        reject(new Error(`${command} exited with ${code}: ${Buffer.concat(err).toString().slice(-2000)}`));
      else resolve({ seconds, peakRssMb, stdout: Buffer.concat(out).toString() });
    });
  });
}

async function median(runs, once) {
  const samples = [];
  for (let index = 0; index < runs; index++) samples.push(await once(index));
  const pick = (key) => {
    const values = samples
      .map((sample) => sample[key])
      .filter((value) => typeof value === 'number')
      .sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)];
  };
  return Object.fromEntries(Object.keys(samples[0]).map((key) => [key, pick(key)]));
}

function firstFile(dir, extension) {
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

const round = (value) => Math.round(value * 100) / 100;
const mb = (value) => Math.round(value / 1e6);
