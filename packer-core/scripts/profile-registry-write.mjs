#!/usr/bin/env node
// The registry's share of a one-asset commit at scale (issue 11), without the files: N synthetic entries in folders of
// --per-folder files, written once in the layout asked for, then --runs one-entry updates staged and written
// (RegistryStore.stageChange + writeStaged: validate, join, hash, atomic write, fsync). Runs the compiled core.
//
//   node packer-core/scripts/profile-registry-write.mjs [--entries 1000000] [--per-folder 50] [--runs 30]
//     [--shards 1,256,4096]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const D = process.env.CORE_DIST ?? new URL('../dist', import.meta.url).pathname;
const { RegistryStore, netRegistryChange } = await import(`${D}/registry/registry-store.js`);

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const total = Number(flag('--entries', 1_000_000));
const perFolder = Number(flag('--per-folder', 50));
const runs = Number(flag('--runs', 30));
const layouts = flag('--shards', '1,256,4096').split(',').map(Number);

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const id = (n) => {
  let tail = '';
  for (let i = 0, v = n; i < 26; i++, v = Math.floor(v / 32)) tail = CROCKFORD[v % 32] + tail;
  return `a_${tail}`;
};
const entries = Array.from({ length: total }, (_, n) => ({
  id: id(n),
  path: `assets/d${Math.floor(n / perFolder / 100)}/e${Math.floor(n / perFolder) % 100}/f${n}.png`,
  kind: 'image',
  settings: {},
  tags: [],
}));

for (const shards of layouts) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'profile-registry-write-'));
  try {
    const store = new RegistryStore(root, () => shards);
    let started = performance.now();
    const first = store.stage(entries);
    store.writeStaged(first);
    const writeAll = performance.now() - started;
    started = performance.now();
    const fresh = new RegistryStore(root, () => shards);
    const loaded = fresh.load();
    const load = performance.now() - started;
    let current = loaded.entries;
    const samples = [];
    let bytes = 0;
    for (let run = 0; run < runs + 3; run++) {
      const target = current[(run * 7919) % current.length];
      const net = netRegistryChange([{ op: 'update', before: target, after: { ...target, tags: [`t${run}`] } }]);
      const t = performance.now();
      const staged = fresh.stageChange(current, net);
      fresh.writeStaged(staged);
      const ms = performance.now() - t;
      current = staged.entries;
      if (run < 3) continue;
      samples.push(ms);
      bytes = staged.files.reduce((sum, file) => sum + (file.text?.length ?? 0), 0);
    }
    samples.sort((a, b) => a - b);
    console.log(
      `${total} entries, shards ${String(shards).padStart(4)}: write all ${(writeAll / 1000).toFixed(1)} s, load ${(load / 1000).toFixed(1)} s, one-entry stage+write p50 ${samples[Math.floor(samples.length / 2)].toFixed(1)} ms (min ${samples[0].toFixed(1)}, max ${samples.at(-1).toFixed(1)}), ${(bytes / 1024).toFixed(0)} KiB written`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
