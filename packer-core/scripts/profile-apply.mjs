#!/usr/bin/env node
// Profiles an in-lane one-asset apply (issue 11): p50/p99 of `ws.apply({ type: 'update', … })` and a breakdown by
// phase (plan, re-observe, registry staging, journal, registry write, snapshot, audit, idempotency), fsyncs and bytes
// written per commit. Runs the compiled core (`npx tsc -b` first).
//
//   node packer-core/scripts/profile-apply.mjs [--project DIR] [--runs 50] [--files 100000] [--key] [--shards N]
//
// --shards writes `registry.shards` N into packer.json first (1, 16, 256, 4096); a change of layout is migrated by
// the warm-up applies.
//
// Without a project folder it generates one with --files assets (default 100,000; registered by the generator in
// format 1, migrated by the first apply) in a temp folder and removes it afterwards. CORE_DIST points at another
// build of packer-core/dist (an older commit's, for a before/after table).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const D = process.env.CORE_DIST ?? new URL('../dist', import.meta.url).pathname;
const { Workspace } = await import(`${D}/workspace/workspace.js`);
const { WorkspaceObserver } = await import(`${D}/workspace/workspace-observer.js`);
const { RegistryStore } = await import(`${D}/registry/registry-store.js`);
const { RegistryLines } = await import(`${D}/registry/registry-lines.js`);
const fileStoreModule = await import(`${D}/registry/registry-file-store.js`).catch(() => undefined);
const RegistryFileStore = fileStoreModule?.RegistryFileStore;
const { JournalFile } = await import(`${D}/commit/journal-file.js`);
const { AuditLog } = await import(`${D}/audit/audit-log.js`);
const { IdempotencyStore } = await import(`${D}/workspace/idempotency-store.js`);
const { RevisionCounter } = await import(`${D}/workspace/revision-counter.js`);

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const useKey = args.includes('--key');
const runs = Number(flag('--runs', 50));
let root = flag('--project', undefined);
let generated;
if (root === undefined) {
  const { generateWorkspace } = await import(new URL('../../fixtures/dist/index.js', import.meta.url).href);
  generated = mkdtempSync(path.join(os.tmpdir(), 'profile-apply-'));
  root = path.join(generated, 'project');
  const files = Number(flag('--files', 100_000));
  const started = performance.now();
  await generateWorkspace({ root, files, register: true });
  console.log(`generated ${files} registered assets in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const shardsFlag = flag('--shards', undefined);
if (shardsFlag !== undefined) {
  const configFile = path.join(root, 'packer.json');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  fs.writeFileSync(configFile, JSON.stringify({ ...config, registry: { shards: Number(shardsFlag) } }, null, 2));
}

const times = {};
let active = false;
function wrap(proto, name, label) {
  const orig = proto?.[name];
  if (!orig) return; // not in this build
  proto[name] = function (...args) {
    if (!active) return orig.apply(this, args);
    const t = performance.now();
    const out = orig.apply(this, args);
    const done = () => {
      times[label] = (times[label] ?? 0) + performance.now() - t;
    };
    if (out && typeof out.then === 'function') return out.finally(done);
    done();
    return out;
  };
}
wrap(Workspace.prototype, 'planOnly', 'plan');
wrap(WorkspaceObserver.prototype, 'refresh', 're-observe');
wrap(RegistryStore.prototype, 'readText', 'registry readText');
wrap(RegistryLines.prototype, 'serialize', 'registry serialise+validate (lines)');
if (RegistryStore.prototype.stageChange) {
  wrap(RegistryStore.prototype, 'stageChange', 'registry stageChange total');
  wrap(RegistryLines.prototype, 'applyChange', '  lines.applyChange (validate+splice+join)');
}
if (RegistryStore.prototype.stage) {
  wrap(RegistryStore.prototype, 'stage', 'registry stage total (serialise+validate+diff+encode+sha256)');
  wrap(RegistryStore.prototype, 'diskDigest', 'registry diskDigest');
} else wrap(RegistryStore.prototype, 'serialize', 'registry serialize total');
if (Workspace.prototype.recordCommitted)
  wrap(Workspace.prototype, 'recordCommitted', 'audit+idempotency (recordCommitted)');
wrap(JournalFile.prototype, 'write', 'journal write+fsync');
wrap(JournalFile.prototype, 'remove', 'journal remove');
wrap(RegistryStore.prototype, 'writeText', 'registry write+fsync+rename');
wrap(RegistryStore.prototype, 'writeStaged', 'registry write+fsync+rename (all files)');
wrap(RegistryFileStore?.prototype, 'stageChange', '  one file stageChange');
wrap(RegistryStore.prototype, 'stageQuick', '  sharded quick stage');
wrap(RegistryStore.prototype, 'stageWhole', '  sharded whole stage');
wrap(WorkspaceObserver.prototype, 'publishCommit', 'snapshot rebuild (publishCommit)');
wrap(JournalFile.prototype, 'markCommitted', 'journal committed mark');
wrap(RevisionCounter.prototype, 'next', '  revision counter (in publish)');
wrap(AuditLog.prototype, 'append', 'audit');
wrap(IdempotencyStore.prototype, 'set', 'idempotency');
wrap(RegistryStore.prototype, 'load', 'registry load');

let fsyncs = 0,
  bytes = 0;
for (const name of ['fsyncSync', 'fdatasyncSync']) {
  const o = fs[name];
  fs[name] = (...a) => {
    if (!active) return o(...a);
    fsyncs++;
    const t = performance.now();
    try {
      return o(...a);
    } finally {
      times['  (all fsyncs)'] = (times['  (all fsyncs)'] ?? 0) + performance.now() - t;
    }
  };
}
const ow = fs.writeFileSync;
fs.writeFileSync = (f, d, ...r) => {
  if (active && typeof d === 'string') bytes += typeof d === 'string' ? Buffer.byteLength(d) : d.byteLength;
  return ow(f, d, ...r);
};
const ows = fs.writeSync;
fs.writeSync = (fd, d, ...r) => {
  if (active) bytes += typeof d === 'string' ? Buffer.byteLength(d) : (r[1] ?? d.byteLength - (r[0] ?? 0));
  return ows(fd, d, ...r);
};
syncBuiltinESMExports();

let t = performance.now();
const ws = await Workspace.open(root);
console.log(
  `open: ${(performance.now() - t).toFixed(0)} ms, assets ${ws.state.entries.length}, registry v${ws.registry.version}, shards ${ws.config.registry?.shards ?? 1}`,
);
if (ws.state.entries.length === 0) {
  t = performance.now();
  const r = await ws.apply({ type: 'register', paths: ['assets'] });
  console.log(`register all: ${(performance.now() - t).toFixed(0)} ms, ${r.plan.registryMutations.length} mutations`);
}
const entries = ws.state.entries;
const samples = [];
const phases = [];
const perRun = [];
for (let i = 0; i < runs + 3; i++) {
  const target = entries[(i * 7919) % entries.length].id;
  for (const k of Object.keys(times)) delete times[k];
  fsyncs = 0;
  bytes = 0;
  active = true;
  t = performance.now();
  await ws.apply(
    { type: 'update', target, addTags: [`x${Date.now()}${i}`] },
    useKey ? { idempotencyKey: `k-${Date.now()}-${i}` } : {},
  );
  const ms = performance.now() - t;
  active = false;
  if (i < 3) continue; // warm-up
  samples.push(ms);
  phases.push({ ...times });
  perRun.push({ fsyncs, bytes });
}
const sorted = [...samples].sort((a, b) => a - b);
const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
console.log(
  `apply over ${runs}: p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, min ${sorted[0].toFixed(1)}, max ${sorted.at(-1).toFixed(1)}`,
);
const labels = [...new Set(phases.flatMap(Object.keys))];
for (const label of labels) {
  const v = phases.map((p) => p[label] ?? 0).sort((a, b) => a - b);
  console.log(`  ${label.padEnd(40)} p50 ${v[Math.floor(v.length / 2)].toFixed(2).padStart(8)} ms`);
}
const fs50 = perRun.map((r) => r.fsyncs).sort((a, b) => a - b)[Math.floor(perRun.length / 2)];
const by50 = perRun.map((r) => r.bytes).sort((a, b) => a - b)[Math.floor(perRun.length / 2)];
console.log(
  `fsyncs/commit (p50): ${fs50}; bytes written via writeFileSync/writeSync (p50): ${(by50 / 1e6).toFixed(2)} MB`,
);
await ws.close();
if (generated) rmSync(generated, { recursive: true, force: true });
