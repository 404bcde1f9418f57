// Issue 2: cold scan + snapshot, scan only, full hashing and warm re-open, each a whole `node` process over the
// compiled @packer/core, against `find` and `find | xargs -P2 sha256sum` on the same tree.
import { count, mb, ms, times } from '../lib/markdown-table.mjs';
import { ratio } from '../lib/stats.mjs';

/** Child bodies: each imports the compiled core by URL and reports its in-process time. */
const scripts = {
  scan: (core, root) => `
const { loadConfig, scanWorkspace } = await import(${JSON.stringify(core)});
const root = ${JSON.stringify(root)};
const started = performance.now();
const result = scanWorkspace(root, loadConfig(root));
report({ innerMs: performance.now() - started, files: result.files.size });
`,
  open: (core, root) => `
const { Workspace } = await import(${JSON.stringify(core)});
const started = performance.now();
const workspace = await Workspace.open(${JSON.stringify(root)}, { actor: { client: 'bench' } });
const summary = workspace.snapshot.summary;
await workspace.close();
report({ innerMs: performance.now() - started, assets: summary.assets, missing: summary.missing, untracked: summary.untracked });
`,
  // One registered file touched after a warm open: the refresh re-hashes it and `close` writes its digest row.
  // With digests.json this rewrote the whole file (~15 MB at 100k); the store writes one row in one transaction.
  touchOne: (core, root) => `
const { utimesSync } = await import('node:fs');
const { Workspace } = await import(${JSON.stringify(core)});
const workspace = await Workspace.open(${JSON.stringify(root)}, { actor: { client: 'bench' } });
const first = workspace.state.byPath.keys().next().value;
const started = performance.now();
const when = new Date(Date.now() + Math.floor(Math.random() * 1e6));
utimesSync(${JSON.stringify(root)} + '/' + first, when, when);
await workspace.refresh([first], 'bench');
await workspace.close();
report({ innerMs: performance.now() - started });
`,
  hash: (core, root) => `
const { hashFiles, loadConfig, scanWorkspace } = await import(${JSON.stringify(core)});
const root = ${JSON.stringify(root)};
const scanned = scanWorkspace(root, loadConfig(root));
// Plain concatenation: scanned paths are already normalised, and path.join costs ~0.3 s per 100k here.
const files = [...scanned.files].map(([relative, stat]) => ({ absolute: root + '/' + relative, size: stat.size }));
const started = performance.now();
const digests = await hashFiles(files);
report({ innerMs: performance.now() - started, hashed: digests.filter(Boolean).length });
`,
};

export default {
  name: 'core',
  title: 'core — scan, snapshot, hashing (issue 2)',
  async run(ctx) {
    const nodeFloor = await ctx.baseline('node -e 0');
    for (const files of ctx.sizes) {
      const workspace = await ctx.workspace(files);
      const { root } = workspace;
      const node = (script) => () => ctx.runNodeScript(script(ctx.packages.core, root));
      ctx.log(`core ${files}: baselines`);
      // Baselines first, before any .packer/ exists, so they walk exactly the generated tree.
      ctx.resetState(root);
      const find = await ctx.baseline('find', root);
      const sha = await ctx.baseline('find+sha256sum', root);
      ctx.log(`core ${files}: scan only`);
      const scan = await ctx.measure(node(scripts.scan));
      ctx.log(`core ${files}: cold open`);
      const cold = await ctx.measure(node(scripts.open), { before: () => ctx.resetState(root) });
      ctx.log(`core ${files}: warm open`);
      // The last cold run left .packer/digests.lmdb behind: every re-open below is warm.
      const warm = await ctx.measure(node(scripts.open));
      ctx.log(`core ${files}: warm open, one file touched`);
      const touched = await ctx.measure(node(scripts.touchOne));
      ctx.log(`core ${files}: hashFiles`);
      const hash = await ctx.measure(node(scripts.hash));

      const row = (step, run, { vsFind = false, vsSha = false, vsCold = false, inner = true } = {}) => [
        step,
        ms(run.ms),
        inner ? ms(run['reported.innerMs']) : '—',
        mb(run.peakRssKb),
        vsFind ? times(ratio(run.ms, find.ms)) : '—',
        vsSha ? times(ratio(run.ms, sha.ms)) : '—',
        vsCold ? times(ratio(run.ms, cold.ms)) : '—',
      ];
      const assets = cold['reported.assets'];
      ctx.table(
        `core, ${count(files)} files (${mb(workspace.bytes / 1024)}, ${count(workspace.folders)} folders)`,
        ['Step (whole process)', 'Median wall', 'In-process', 'Peak RSS', '× find', '× find+sha256sum', '× cold open'],
        [
          row("`find -type f -printf '%s %T@ %p\\n'` (baseline)", find, { vsFind: true, inner: false }),
          row('`find -print0 | xargs -0 -P2 sha256sum` (baseline)', sha, { vsFind: true, vsSha: true, inner: false }),
          row('`node -e 0` (floor)', nodeFloor, { vsFind: true, inner: false }),
          row('`scanWorkspace` (scan only)', scan, { vsFind: true }),
          row('`hashFiles` over every file (+ scan)', hash, { vsFind: true, vsSha: true }),
          row('`Workspace.open` cold (fresh `.packer/`)', cold, { vsFind: true, vsSha: true, vsCold: true }),
          row('`Workspace.open` warm (digest cache present)', warm, { vsFind: true, vsSha: true, vsCold: true }),
          row('warm open, 1 file touched: `refresh` + `close` (in-process: just those)', touched, {
            vsFind: true,
            vsCold: true,
          }),
        ],
        [
          `Cold open = config + scan + sha256 of all ${count(assets)} registered files + snapshot + writing \`.packer/\`; warm open finds every digest in \`.packer/digests.lmdb\` (looked up per path, nothing parsed whole).`,
          `In-process = time inside the child after its imports; wall includes node start-up and imports. Page cache is warm for every row (the tree was just written).`,
          `Scan saw ${count(scan['reported.files'])} files; hashFiles hashed ${count(hash['reported.hashed'])}; warm open: ${count(warm['reported.assets'])} assets, ${count(warm['reported.missing'])} missing, ${count(warm['reported.untracked'])} untracked.`,
        ],
      );
    }
  },
};
