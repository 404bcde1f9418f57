// Issue 13: the remote cache on the 10k-file / 1 GB build workspace (100 MB with --quick), against a real nginx started
// here. A cold build with an empty local cache and a warm remote, against a cold build with no remote, and against
// `curl` downloading the same bytes (every /ac/ and /cas/ object) from the same server in the same run, with the same
// number of requests in flight. Target: warm-remote cold build ≤ 1.3 × curl + the no-change build.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CORE = new URL('../../packer-core/dist/index.js', import.meta.url).href;
const FIXTURES = new URL('../../fixtures/dist/index.js', import.meta.url).href;
const CONCURRENCY = 16;
const GNU_TIME = '/usr/bin/time';

export default {
  name: 'remote',
  title: 'Remote cache (nginx, Bazel HTTP protocol)',
  async run(ctx) {
    const { findNginx, generateWorkspace, startNginxCache } = await import(FIXTURES);
    if (!findNginx()) {
      ctx.print('**Skipped: nginx is not installed** (`apt-get install nginx`).');
      return;
    }
    const files = 10_000;
    const totalBytes = ctx.quick ? 100_000_000 : 1_000_000_000;
    const base = mkdtempSync(path.join(ctx.tempDir, 'packer-remote-bench-'));
    const nginx = await startNginxCache();
    try {
      const root = path.join(base, 'project');
      const size = Math.round(totalBytes / files);
      ctx.log(`remote bench: generating ${files} files of ${size} bytes`);
      const generated = await generateWorkspace({
        root,
        files,
        sizes: { min: size, max: size },
        register: true,
        seed: 13,
      });
      const url = nginx.url('open');
      const remoteEnv = { PACKER_REMOTE_CACHE: url, PACKER_REMOTE_CACHE_CONCURRENCY: String(CONCURRENCY) };
      // An empty local cache and no packs, the digest cache kept: what a fresh checkout has after its first scan.
      const emptyLocal = () => {
        rmSync(path.join(root, '.packer', 'cache'), { recursive: true, force: true });
        rmSync(path.join(root, 'build'), { recursive: true, force: true });
      };
      const fill = await build(root, remoteEnv);
      ctx.log(
        `remote bench: filled the remote (${fill.report.remote.uploads} uploads, ${mb(fill.report.remote.bytesUp)} MB up)`,
      );
      const noChange = await build(root, remoteEnv);
      emptyLocal();
      const noRemote = await build(root, { PACKER_REMOTE_CACHE: 'off' });
      emptyLocal();
      const warm = await build(root, remoteEnv);
      if (warm.report.counts.processed !== 0)
        throw new Error(`the warm-remote build processed ${warm.report.counts.processed} assets; expected 0`);
      // The disk's share: the same pack bytes written durably by standard tools (`cp` then `sync`), after a `sync` that
      // leaves nothing else dirty. A cold build must land these bytes on disk whatever it downloads; curl's baseline
      // writes to /dev/null.
      const packBytes = readdirSync(path.join(root, 'build')).reduce(
        (sum, name) => sum + statSync(path.join(root, 'build', name)).size,
        0,
      );
      const durable = await durableCopy(path.join(root, 'build'), path.join(base, 'packs-copy'));
      // The floor of any remote cache: every output already local (the warm build just stored them), only the packs
      // to write (and hash, and fsync), measured right after the warm build in the same state.
      rmSync(path.join(root, 'build'), { recursive: true, force: true });
      const packsOnly = await build(root, remoteEnv);
      // The same objects the warm build downloaded, fetched by curl from the same server, as many at once.
      const objects = ['ac', 'cas'].flatMap((kind) =>
        readdirSync(path.join(nginx.root, 'open', kind)).map((name) => `${url}/${kind}/${name}`),
      );
      const listFile = path.join(base, 'curl-list');
      writeFileSync(listFile, objects.map((item) => `url = "${item}"\noutput = "/dev/null"\n`).join(''));
      const curl = await timedWithCpu('curl', [
        '--silent',
        '--fail',
        '--parallel',
        '--parallel-max',
        String(CONCURRENCY),
        '--config',
        listFile,
      ]);
      const bytes = ['ac', 'cas'].reduce(
        (sum, kind) =>
          sum +
          readdirSync(path.join(nginx.root, 'open', kind)).reduce(
            (total, name) => total + statSync(path.join(nginx.root, 'open', kind, name)).size,
            0,
          ),
        0,
      );
      const target = 1.3 * curl.seconds + noChange.seconds;
      const floorTarget = 1.3 * curl.seconds + packsOnly.seconds;
      // What this machine allows at best: planning (the no-change build), then downloading and writing the packs
      // fully overlapped, each at the speed of its standard tool.
      const physicalFloor = noChange.seconds + Math.max(curl.seconds, durable.seconds);
      const r = warm.report.remote;
      const load = os
        .loadavg()
        .map((value) => value.toFixed(1))
        .join(' / ');
      const cpu = (run) => (run.cpu === undefined ? '—' : round(run.cpu));
      const phase = (from, to) => (from === undefined || to === undefined ? '—' : round(to - from));
      const w = warm.phases;
      ctx.table(
        `Remote cache, ${generated.files.toLocaleString('en-US')} files, ${mb(generated.bytes)} MB`,
        ['name', 'seconds', 'cpu s', 'ratio', 'vs'],
        [
          {
            name: `curl: ${objects.length} objects, ${mb(bytes)} MB from nginx, ${CONCURRENCY} in flight`,
            seconds: round(curl.seconds),
            'cpu s': cpu(curl),
            ratio: 1,
            vs: 'baseline',
          },
          {
            name: `\`cp\` + \`sync\` of the packs the build writes (${mb(packBytes)} MB): the disk's share`,
            seconds: round(durable.seconds),
            'cpu s': '',
            ratio: round(durable.seconds / curl.seconds),
            vs: 'curl',
          },
          {
            name: `no-change build (processed ${noChange.report.counts.processed})`,
            seconds: round(noChange.seconds),
            'cpu s': cpu(noChange),
            ratio: round(noChange.seconds / curl.seconds),
            vs: 'curl',
          },
          {
            name: 'cold build, warm local cache, packs removed (writes the packs only: the floor of any remote)',
            seconds: round(packsOnly.seconds),
            'cpu s': cpu(packsOnly),
            ratio: round(packsOnly.seconds / curl.seconds),
            vs: 'curl',
          },
          {
            name: `cold build, empty local cache, no remote (processed ${noRemote.report.counts.processed})`,
            seconds: round(noRemote.seconds),
            'cpu s': cpu(noRemote),
            ratio: round(noRemote.seconds / curl.seconds),
            vs: 'curl',
          },
          {
            name: `cold build, empty local cache, warm remote (${r.hits} hits, ${warm.report.counts.passThrough ?? 0} pass-through, ${mb(r.bytesDown)} MB down)`,
            seconds: round(warm.seconds),
            'cpu s': cpu(warm),
            ratio: round(warm.seconds / target),
            vs: `target 1.3 × curl + no-change = ${round(target)} s`,
          },
          {
            name: 'the same warm-remote build',
            seconds: round(warm.seconds),
            'cpu s': cpu(warm),
            ratio: round(warm.seconds / floorTarget),
            vs: `1.3 × curl + packs-only build = ${round(floorTarget)} s`,
          },
          {
            name: 'the same warm-remote build',
            seconds: round(warm.seconds),
            'cpu s': cpu(warm),
            ratio: round(warm.seconds / physicalFloor),
            vs: `no-change + max(curl, cp + sync) = ${round(physicalFloor)} s`,
          },
          {
            name: '↳ start-up, open, plan: until the first asset settles (the no-change build does this too)',
            seconds: phase(0, w.first),
            'cpu s': '',
            ratio: '',
            vs: '',
          },
          {
            name: '↳ lookups, downloads, sha256, local cache store, packs written meanwhile: until every output is local',
            seconds: phase(w.first, w.settled),
            'cpu s': '',
            ratio: w.settled === undefined || w.first === undefined ? '—' : round((w.settled - w.first) / curl.seconds),
            vs: 'curl',
          },
          {
            name: '↳ pack writing left after the last download (read, hash, write, fsync), commit',
            seconds: phase(w.settled, w.built),
            'cpu s': '',
            ratio: '',
            vs: '',
          },
          {
            name: '↳ process exit after the build (close, flushes)',
            seconds: phase(w.built, warm.seconds),
            'cpu s': '',
            ratio: '',
            vs: '',
          },
          {
            name: `first build, filling the remote (${fill.report.remote.uploads} uploads, ${mb(fill.report.remote.bytesUp)} MB up)`,
            seconds: round(fill.seconds),
            'cpu s': cpu(fill),
            ratio: round(fill.seconds / noRemote.seconds),
            vs: 'cold build, no remote',
          },
        ],
        [
          `Each build is a whole \`node\` process over the compiled core; "empty local cache" removes .packer/cache and build/ (the digest cache stays). Warm-remote build ${warm.seconds <= target ? 'meets' : 'misses'} the target (1.3 × curl + no-change), and ${warm.seconds <= floorTarget ? 'meets' : 'misses'} 1.3 × curl + the packs-only build.`,
          `The issue's target counts no disk write: curl writes to /dev/null. The \`cp\` + \`sync\` row is the disk's time for the bytes any cold build must write; here it is ${durable.seconds > target ? 'longer than the whole target on its own' : 'within the target'} (${round(durable.seconds)} s against ${round(target)} s). The last comparison is the best this machine allows: planning, then download and durable write fully overlapped.`,
          'A no-change build writes no pack; a cold build, from a remote or not, writes, hashes and fsyncs every pack: the packs-only row is that cost with every output already local, which no remote cache can go below. `copy` outputs are pass-through with a remote cache (never requested: docs/remote-cache.md), so the server holds no object for them and curl fetches exactly the objects the warm build fetched.',
          'The ↳ rows split the warm-remote build by its own clock (progress events): packs are written while blobs download (action results are read ahead, each pack is laid out once its outputs are described and fed in file order as they arrive), so the download phase includes pack writing, and the last phase is what writing has left when the last output is local. "cpu s" is user + system time of the whole process (all threads; GNU time for curl): with other work on the machine, wall time is CPU time stretched by the load.',
          `Load average (1 / 5 / 15 min) at the end: ${load} on ${os.cpus().length} cores.`,
        ],
      );
    } finally {
      await nginx.close();
      if (!ctx.keep) rmSync(base, { recursive: true, force: true });
    }
  },
};

async function build(root, env) {
  // Times from the child's own clock: open done, the first asset settled, every asset settled (each output is in the
  // local cache or a pack by then), the build's end; and its CPU time (user + system, all threads).
  const script = `(async () => {
  const started = performance.now();
  const { Workspace, runBuild } = await import(${JSON.stringify(CORE)});
  const workspace = await Workspace.open(${JSON.stringify(root)});
  const opened = performance.now();
  let first, settled;
  const report = await runBuild(workspace, { onProgress: (p) => {
    first ??= performance.now();
    if (settled === undefined && p.done === p.total) settled = performance.now();
  } });
  const built = performance.now();
  await workspace.close();
  const usage = process.resourceUsage();
  const at = (t) => t === undefined ? undefined : (t - started) / 1000;
  process.stdout.write(JSON.stringify({ report, phases: { opened: at(opened), first: at(first), settled: at(settled), built: at(built) },
    cpu: (usage.userCPUTime + usage.systemCPUTime) / 1e6 }));
})().catch((error) => { console.error(error); process.exit(1); });`;
  const result = await timed(process.execPath, ['-e', script], { env: { ...process.env, ...env } });
  return { seconds: result.seconds, ...JSON.parse(result.stdout) };
}

/** Seconds to copy `from` to `to` with `cp` and flush it with `sync`, after an untimed `sync` of what was dirty. */
async function durableCopy(from, to) {
  await timed('sync', []);
  const result = await timed('sh', ['-c', 'cp -r --reflink=never "$0" "$1" && sync -f "$1"', from, to]);
  rmSync(to, { recursive: true, force: true });
  return result;
}

/** `command` under GNU time when it is there, for its CPU time (user + system); `cpu` is undefined otherwise. */
async function timedWithCpu(command, args) {
  if (!existsSync(GNU_TIME)) return { ...(await timed(command, args)), cpu: undefined };
  const out = path.join(os.tmpdir(), `packer-remote-bench-time-${process.pid}`);
  try {
    const result = await timed(GNU_TIME, ['-f', '%U %S', '-o', out, command, ...args]);
    const [user, system] = readFileSync(out, 'utf8').trim().split(/\s+/).map(Number);
    return { ...result, cpu: user + system };
  } finally {
    rmSync(out, { force: true });
  }
}

function timed(command, args, { env } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0)
        reject(new Error(`${command} exited with ${code}: ${Buffer.concat(err).toString().slice(-2000)}`));
      else resolve({ seconds: (performance.now() - started) / 1000, stdout: Buffer.concat(out).toString() });
    });
  });
}

const round = (value) => Math.round(value * 100) / 100;
const mb = (value) => Math.round(value / 1e6);
