// Issue 4: the CLI's start-up and `packer status` with a warm daemon, against `git status` on the same tree
// in the same run, and `packer status --no-daemon` for comparison (the daemon has to earn its keep).
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { count, mb, ms, times } from '../lib/markdown-table.mjs';
import { ratio } from '../lib/stats.mjs';

const BIN = fileURLToPath(new URL('../../cli/bin/run.js', import.meta.url));
// The daemon path is what we measure: CI would make the CLI run in-process.
const ENV = { ...process.env, CI: '', PACKER_DAEMON: '1' };

async function ensureGitRepo(ctx, root) {
  if (existsSync(path.join(root, '.git'))) return;
  ctx.log(`git init + commit in ${root} (baseline repository)`);
  writeFileSync(path.join(root, '.gitignore'), '.packer/\nbuild/\n');
  const git = (...args) =>
    ctx.runProcess('git', ['-c', 'user.email=bench@packer', '-c', 'user.name=bench', ...args], { cwd: root });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'bench');
}

export default {
  name: 'cli',
  title: 'cli — start-up and `packer status` (issue 4)',
  async run(ctx) {
    const packer =
      (root, ...args) =>
      () =>
        ctx.runProcess(process.execPath, [BIN, ...args, '-C', root], { cwd: root, env: ENV });
    const nodeFloor = await ctx.baseline('node -e 0');
    for (const files of ctx.sizes) {
      const { root } = await ctx.workspace(files);
      await ensureGitRepo(ctx, root);
      ctx.log(`cli ${files}: git status`);
      const gitStatus = await ctx.measure(() => ctx.runProcess('git', ['status', '--porcelain'], { cwd: root }));
      ctx.log(`cli ${files}: packer --version`);
      const version = await ctx.measure(() =>
        ctx.runProcess(process.execPath, [BIN, '--version'], { cwd: root, env: ENV }),
      );
      ctx.log(`cli ${files}: warm daemon`);
      ctx.onCleanup(() => packer(root, 'daemon', 'stop')());
      await packer(root, 'daemon', 'start')();
      await packer(root, 'status')(); // first synced read after start-up
      const warm = await ctx.measure(packer(root, 'status'));
      await packer(root, 'daemon', 'stop')();
      ctx.log(`cli ${files}: --no-daemon`);
      const inProcess = await ctx.measure(packer(root, 'status', '--no-daemon'));
      const row = (name, run) => [
        name,
        ms(run.ms),
        mb(run.peakRssKb),
        times(ratio(run.ms, gitStatus.ms)),
        times(ratio(run.ms, nodeFloor.ms)),
        times(ratio(run.ms, warm.ms)),
      ];
      ctx.table(
        `cli, ${count(files)} files`,
        ['Command (whole process)', 'Median wall', 'Peak RSS', '× git status', '× node -e 0', '× warm status'],
        [
          row('`git status --porcelain` (baseline)', gitStatus),
          row('`node -e 0` (floor)', nodeFloor),
          row('`packer --version`', version),
          row('`packer status`, warm daemon', warm),
          row('`packer status --no-daemon`', inProcess),
        ],
        [
          'Warm: the daemon was started and answered one status before the timed runs; every status is a synced read (a cookie round trip through the watcher).',
          "`--no-daemon` runs the daemon's server in the CLI process: config, scan and snapshot every time (digest cache warm).",
        ],
      );
    }
  },
};
