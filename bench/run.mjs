#!/usr/bin/env node
// Packer benchmarks: prints Markdown tables whose ratios compare against baselines measured in the same run.
// It asserts nothing. Run with `npm run bench` (builds first) or `node bench/run.mjs --help`.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createBenchContext } from './lib/bench-context.mjs';
import { count, mb, ms } from './lib/markdown-table.mjs';
import { loadSections } from './sections/index.mjs';

const USAGE = `Usage: node bench/run.mjs [--quick] [--sizes 10000,100000] [--only core,daemon] [--runs 3] [--keep] [--trials 200] [--seed 9] [--scale-1m]
  --quick    10k files only, one run per measurement (smoke run)
  --sizes    file counts of the generated workspaces (default 10000,100000)
  --only     comma-separated section names (default: all)
  --runs     repetitions per whole-process measurement, median taken (default 3, 1 with --quick)
  --keep     keep the temp workspaces (their folder is printed)
  --trials   kill -9 trials of the reliability section (default 200, 40 with --quick)
  --seed     seed of the reliability section's kill moments (default 9)
  --scale-1m the scale section also runs at 1,000,000 files (needs 20 GB free disk; 100k always, 10k with --quick)`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      sizes: { type: 'string' },
      only: { type: 'string' },
      runs: { type: 'string' },
      keep: { type: 'boolean', default: false },
      trials: { type: 'string' },
      seed: { type: 'string' },
      'scale-1m': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const list = (text) =>
    text
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  const positive = (name, text) => {
    const value = Number(text.replaceAll('_', ''));
    if (!Number.isSafeInteger(value) || value < 1)
      throw new Error(`Expected --${name} to hold positive integers, got "${text}".`);
    return value;
  };
  const sizes = values.sizes
    ? list(values.sizes).map((item) => positive('sizes', item))
    : values.quick
      ? [10_000]
      : [10_000, 100_000];
  return {
    help: values.help,
    quick: values.quick,
    keep: values.keep,
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    runs: values.runs ? positive('runs', values.runs) : values.quick ? 1 : 3,
    only: values.only ? list(values.only) : undefined,
    trials: values.trials ? positive('trials', values.trials) : undefined,
    seed: values.seed ? positive('seed', values.seed) : undefined,
    scale1m: values['scale-1m'],
  };
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const sections = await loadSections();
  const unknown = (options.only ?? []).filter((name) => !sections.some((section) => section.name === name));
  if (unknown.length > 0) {
    process.stderr.write(
      `Expected --only to name sections among ${sections.map((section) => section.name).join(', ')}, got ${unknown.join(', ')}.\n`,
    );
    process.exitCode = 2;
    return;
  }
  const selected = sections.filter((section) => !options.only || options.only.includes(section.name));

  const ctx = createBenchContext(options);
  const stop = () => {
    void ctx.dispose().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const started = performance.now();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  // Other work on the machine skews every number; the load average says how much there was.
  const load = () =>
    os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(' ');
  ctx.print(
    `# Packer benchmarks\n\n${new Date().toISOString()} · node ${process.version} · ${os.cpus().length} × ${cpu} · ${mb(os.totalmem() / 1024)} RAM · ` +
      `sizes ${options.sizes.map((size) => count(size)).join(', ')} · median of ${options.runs} run(s)${options.quick ? ' · quick' : ''} · ` +
      `peak RSS via ${ctx.hasGnuTime ? '/usr/bin/time -f %M' : "the child's process.resourceUsage().maxRSS"} · load average ${load()}`,
  );
  const failed = [];
  try {
    for (const section of selected) {
      ctx.print(`## ${section.title ?? section.name}`);
      ctx.log(`section ${section.name}`);
      const sectionStarted = performance.now();
      try {
        await section.run(ctx);
      } catch (error) {
        failed.push(section.name);
        ctx.print(
          `**Section \`${section.name}\` failed:**\n\n\`\`\`\n${String(error?.stack ?? error)
            .split('\n')
            .slice(0, 30)
            .join('\n')}\n\`\`\``,
        );
      }
      ctx.log(`section ${section.name} took ${ms(performance.now() - sectionStarted)}`);
    }
    const generated = await ctx.generatedWorkspaces();
    if (generated.length > 0) {
      ctx.table(
        'Workspaces',
        ['Files', 'Bytes', 'Folders', 'Generated in'],
        generated.map((workspace) => [
          count(workspace.files),
          mb(workspace.bytes / 1024),
          count(workspace.folders),
          ms(workspace.generateMs),
        ]),
        [
          'Generated once per run by `generateWorkspace({ register: true, seed: 1, depth: 3, foldersPerLevel })` (about 50 files per folder, like the tree of DESIGN.md §11) into a temp folder, shared by all sections, deleted at the end.',
        ],
      );
    }
    ctx.print(
      `_Total ${ms(performance.now() - started)} · load average at the end ${load()}${failed.length > 0 ? ` · failed sections: ${failed.join(', ')}` : ''}._`,
    );
  } finally {
    await ctx.dispose();
  }
  if (failed.length > 0) process.exitCode = 1;
}

await main();
