#!/usr/bin/env node
// Registry format 2 at scale: one file vs one shard per folder (issue 11).
//   npx tsc -b && node --max-old-space-size=8192 bench/registry-format.mjs [--sizes 100000,1000000] [--per-folder 50]
// Prints Markdown. Asserts nothing. Uses the compiled packer-core (dist) and real git in a temp folder it deletes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const dist = new URL('../packer-core/dist/', import.meta.url);
const { serializeRegistry, parseRegistry, readRegistry } = await import(
  new URL('registry/registry-codec.js', dist).href
);
const { RegistryLines } = await import(new URL('registry/registry-lines.js', dist).href);
const { writeFileAtomic } = await import(new URL('fs/atomic-write.js', dist).href);
const { newAssetId } = await import(new URL('ids/asset-id.js', dist).href);

const arg = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
};
const sizes = arg('sizes', '100000,1000000').split(',').map(Number);
const perFolder = Number(arg('per-folder', '50'));
const runs = Number(arg('runs', '3'));
const ROOT = '/project';
const FILE = 'packer.registry.json';
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@example.com',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: '/nonexistent',
};

const time = (run) => {
  const start = performance.now();
  const value = run();
  return { ms: performance.now() - start, value };
};
/** Median of `runs` timings; `run(i)` gets the repetition number. */
const median = (run) => {
  const results = Array.from({ length: runs }, (_, index) => time(() => run(index)));
  results.sort((a, b) => a.ms - b.ms);
  return results[Math.floor(results.length / 2)];
};
const git = (cwd, ...args) =>
  execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'core.autocrlf=false', ...args], {
    cwd,
    env: GIT_ENV,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const fmtBytes = (bytes) =>
  bytes >= 1 << 20
    ? `${(bytes / (1 << 20)).toFixed(1)} MiB`
    : bytes >= 1024
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : `${bytes} B`;
const log = (message) => process.stderr.write(`${message}\n`);

function makeEntries(count) {
  const entries = [];
  for (let index = 0; index < count; index++) {
    const folder = Math.floor(index / perFolder);
    const kind = ['image', 'audio', 'data'][index % 3];
    entries.push({
      id: newAssetId(),
      path: `assets/area-${Math.floor(folder / 100)}/set-${folder}/asset-${index}.${kind === 'image' ? 'png' : kind === 'audio' ? 'ogg' : 'json'}`,
      kind,
      settings: index % 5 === 0 ? { maxSize: 512, premultiply: true } : {},
      tags: index % 7 === 0 ? ['level-1'] : [],
    });
  }
  return entries;
}

const formatOne = (entries) =>
  JSON.stringify({ version: 1, assets: [...entries].sort((a, b) => (a.id < b.id ? -1 : 1)) }, null, 2) + '\n';
const folderOf = (entryPath) => entryPath.slice(0, entryPath.lastIndexOf('/'));

/** Latest loose object written by the last commit (compressed bytes on disk). */
function newestBlobBytes(repo, blobId) {
  const file = path.join(repo, '.git/objects', blobId.slice(0, 2), blobId.slice(2));
  return statSync(file).size;
}

function measureSize(count, scratch) {
  const rows = [];
  const row = (what, single, shards) => rows.push(`| ${what} | ${single} | ${shards} |`);
  log(`generating ${count} entries`);
  const entries = makeEntries(count);
  const changedIndex = Math.floor(count / 2);
  const changed = () =>
    entries.map((entry, index) => (index === changedIndex ? { ...entry, tags: [...entry.tags, 'edited'] } : entry));

  // Before/after for a one-asset update with the whole validation (format 1 then; format 2 now, full and incremental).
  log('format 1 (before): one-asset update = full serialise + full parse');
  const before = median(() => {
    const text = formatOne(changed());
    parseRegistry(text, FILE, ROOT);
    return text.length;
  });
  log('format 2 from scratch: serialise + full parse');
  const full = median(() => {
    const text = serializeRegistry(changed());
    parseRegistry(text, FILE, ROOT);
    return text.length;
  });
  const singleText = serializeRegistry(entries);
  const lines = new RegistryLines(FILE, ROOT);
  const read = readRegistry(singleText, FILE, ROOT);
  lines.seed(read);
  const loaded = read.entries;
  const nextEntries = loaded.map((entry, index) =>
    index === changedIndex ? { ...entry, tags: [...entry.tags, 'edited'] } : entry,
  );
  log('format 2 incremental: one-asset update');
  lines.serialize(loaded); // warm: the state right after load
  let current = loaded;
  const incremental = median((run) => {
    const pick = (changedIndex + 7919 * (run + 1)) % count;
    current = current.map((entry, index) =>
      index === pick ? { ...entry, tags: [...entry.tags, `run-${run}`] } : entry,
    );
    return lines.serialize(current).text;
  });
  lines.serialize(loaded);

  // One file vs shards: full serialise and full parse+validate.
  const serialiseSingle = median(() => serializeRegistry(entries));
  const parseSingle = median(() => parseRegistry(singleText, FILE, ROOT));
  const byFolder = new Map();
  for (const entry of entries) {
    const folder = folderOf(entry.path);
    let list = byFolder.get(folder);
    if (!list) byFolder.set(folder, (list = []));
    list.push(entry);
  }
  const serialiseShards = median(() => {
    const texts = new Map();
    for (const [folder, list] of byFolder) texts.set(folder, serializeRegistry(list));
    return texts;
  });
  const shardTexts = serialiseShards.value;
  const single = path.join(scratch, `single-${count}`);
  const sharded = path.join(scratch, `shards-${count}`);
  mkdirSync(single, { recursive: true });
  mkdirSync(sharded, { recursive: true });
  writeFileSync(path.join(single, FILE), singleText);
  const shardFile = (folder) => path.join(sharded, 'packer.registry', `${folder}.json`);
  for (const [folder, text] of shardTexts) {
    mkdirSync(path.dirname(shardFile(folder)), { recursive: true });
    writeFileSync(shardFile(folder), text);
  }
  log('parse + validate every shard (read from disk)');
  const parseShards = median(() => {
    const ids = new Set();
    const walk = (dir) => {
      for (const item of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, item.name);
        if (item.isDirectory()) walk(full);
        else for (const entry of parseRegistry(readFileSync(full, 'utf8'), full, ROOT)) ids.add(entry.id);
      }
    };
    walk(path.join(sharded, 'packer.registry'));
    return ids.size;
  });
  const parseSingleFromDisk = median(
    () => parseRegistry(readFileSync(path.join(single, FILE), 'utf8'), FILE, ROOT).length,
  );

  log('git: base commits');
  for (const repo of [single, sharded]) {
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'base');
  }
  // One-asset change: the new text, the atomic write (fsync included), git add, diff size, new object size.
  const target = nextEntries[changedIndex];
  const writeSingle = time(() => {
    const text = lines.serialize(nextEntries).text;
    writeFileAtomic(path.join(single, FILE), text);
    return Buffer.byteLength(text);
  });
  const folder = folderOf(target.path);
  const shardEntries = byFolder.get(folder).map((entry) => (entry.id === target.id ? target : entry));
  const writeShard = time(() => {
    const text = serializeRegistry(shardEntries);
    parseRegistry(text, FILE, ROOT);
    writeFileAtomic(shardFile(folder), text);
    return Buffer.byteLength(text);
  });
  const gitOf = (repo) => {
    const diff = git(repo, 'diff', '--no-color').length;
    const add = time(() => git(repo, 'add', '-A'));
    const status = time(() => git(repo, 'status', '--porcelain'));
    git(repo, 'commit', '-q', '-m', 'one asset');
    const blob = git(repo, 'diff-tree', '-r', '--no-commit-id', 'HEAD~1', 'HEAD').trim().split(/\s+/)[3];
    return { diff, add: add.ms, status: status.ms, object: newestBlobBytes(repo, blob) };
  };
  const gitSingle = gitOf(single);
  const gitShards = gitOf(sharded);

  console.log(
    `\n### ${count.toLocaleString('en')} assets, ${byFolder.size.toLocaleString('en')} folders (${perFolder} per folder)\n`,
  );
  console.log('One-asset update, serialise + validate (no disk):\n');
  console.log('| | time |\n| --- | --- |');
  console.log(`| before: format 1, full serialise + full \`parseRegistry\` | ${fmtMs(before.ms)} |`);
  console.log(`| format 2 from scratch, full serialise + full \`parseRegistry\` | ${fmtMs(full.ms)} |`);
  console.log(
    `| format 2, \`RegistryLines.serialize\` (one line stringified and validated, ids checked incrementally, join) | ${fmtMs(incremental.ms)} |`,
  );
  console.log('\nOne file vs one shard per folder:\n');
  console.log('| | one file | shards per folder |\n| --- | --- | --- |');
  row(
    'registry size on disk',
    fmtBytes(Buffer.byteLength(singleText)),
    `${fmtBytes([...shardTexts.values()].reduce((sum, text) => sum + Buffer.byteLength(text), 0))} in ${shardTexts.size.toLocaleString('en')} files`,
  );
  row('serialise everything (from scratch)', fmtMs(serialiseSingle.ms), fmtMs(serialiseShards.ms));
  row('parse + validate everything, in memory', fmtMs(parseSingle.ms), '—');
  row('read + parse + validate everything from disk', fmtMs(parseSingleFromDisk.ms), fmtMs(parseShards.ms));
  row('one-asset change: serialise + validate + atomic write (fsync)', fmtMs(writeSingle.ms), fmtMs(writeShard.ms));
  row('one-asset change: bytes written', fmtBytes(writeSingle.value), fmtBytes(writeShard.value));
  row('one-asset change: `git diff` output', fmtBytes(gitSingle.diff), fmtBytes(gitShards.diff));
  row('one-asset change: `git add -A`', fmtMs(gitSingle.add), fmtMs(gitShards.add));
  row('one-asset change: `git status` after add', fmtMs(gitSingle.status), fmtMs(gitShards.status));
  row('one-asset change: new loose git object (zlib)', fmtBytes(gitSingle.object), fmtBytes(gitShards.object));
  console.log(rows.join('\n'));
  for (const repo of [single, sharded]) rmSync(repo, { recursive: true, force: true });
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'registry-format-bench-'));
try {
  console.log(
    `## Registry format 2: one file vs shards (node ${process.version}, ${os.cpus().length} cores; median of ${runs} where repeated; git and fsync rows are single runs)`,
  );
  for (const size of sizes) measureSize(size, scratch);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
