// What a crash trial compares: the registry (id → path) and the files under the asset roots (path → sha256),
// captured before an operation, predicted after it from the operation's own plan, and read again after recovery.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Registry entries as id → path, read from the file itself (the daemon's view is checked separately). */
export function readRegistry(root) {
  const text = readFileSync(path.join(root, 'packer.registry.json'), 'utf8');
  const registry = JSON.parse(text);
  const list = Array.isArray(registry.assets) ? registry.assets : Object.values(registry.assets ?? {});
  return new Map(list.map((entry) => [entry.id, entry.path]));
}

// Digests by absolute path, reused while (size, mtime, ctime, inode) stay the same: each trial reads the tree
// twice, and almost nothing in it changes. ctime cannot be set back by a writer, so a changed file is re-read.
const digests = new Map();

function digestOf(file) {
  const stat = statSync(file, { bigint: true });
  const key = `${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.ino}`;
  const known = digests.get(file);
  if (known?.key === key) return known.digest;
  const digest = createHash('sha256').update(readFileSync(file)).digest('hex');
  digests.set(file, { key, digest });
  return digest;
}

/** The daemon's read-your-writes cookie files (`.packer-cookie-<pid>-<n>`): never assets, but files in the user's
 * tree. */
const COOKIE_PREFIX = '.packer-cookie-';

/**
 * Every file under `assets/` as project-relative path → sha256 hex (symlinks and other non-files as their kind).
 * Cookie files are collected apart, in `cookies`.
 */
export function readDisk(root, folder = 'assets', cookies = []) {
  const files = new Map();
  const walk = (relative) => {
    for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = `${relative}/${entry.name}`;
      if (entry.name.startsWith(COOKIE_PREFIX)) cookies.push(child);
      else if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) files.set(child, digestOf(path.join(root, child)));
      else files.set(child, `<${entry.isSymbolicLink() ? 'symlink' : 'special'}>`);
    }
  };
  walk(folder);
  return files;
}

/** Registry and disk now; a registry that cannot be read is captured as empty, with the reason. */
export function captureState(root) {
  const cookies = [];
  const disk = readDisk(root, 'assets', cookies);
  try {
    return { registry: readRegistry(root), disk, cookies };
  } catch (error) {
    return { registry: new Map(), disk, cookies, registryError: error.message };
  }
}

/** Applies a move or delete to a path map: the plan names files, or a folder (every path below it). */
function applyFilesystemMutation(disk, mutation) {
  const under = (prefix) => [...disk.keys()].filter((key) => key === prefix || key.startsWith(`${prefix}/`));
  if (mutation.op === 'move') {
    for (const key of under(mutation.from)) {
      const digest = disk.get(key);
      disk.delete(key);
      disk.set(mutation.to + key.slice(mutation.from.length), digest);
    }
  } else if (mutation.op === 'delete') {
    for (const key of under(mutation.path)) disk.delete(key);
  }
}

/**
 * The state the plan promises once applied. Ids of added entries are provisional in a preview (apply assigns
 * fresh ones), so additions are predicted by path only.
 */
export function predictAfter(before, plan) {
  const registry = new Map(before.registry);
  const addedPaths = new Set();
  for (const mutation of plan?.registryMutations ?? []) {
    if (mutation.op === 'add') addedPaths.add(mutation.entry.path);
    else if (mutation.op === 'remove') registry.delete(mutation.entry.id);
    else if (mutation.op === 'update') registry.set(mutation.after.id, mutation.after.path);
  }
  const disk = new Map(before.disk);
  for (const mutation of plan?.filesystemMutations ?? []) applyFilesystemMutation(disk, mutation);
  // Files the operation itself may delete: whatever digests disappear between before and the prediction.
  const deletable = multiset(before.disk.values());
  for (const digest of disk.values()) deletable.set(digest, (deletable.get(digest) ?? 0) - 1);
  return { registry, addedPaths, disk, deletable };
}

function multiset(values) {
  const counts = new Map();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function sameMap(a, b) {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

function registryMatches(observed, expected, addedPaths = new Set()) {
  if (observed.size !== expected.size + addedPaths.size) return false;
  const added = new Set();
  for (const [id, where] of observed) {
    if (expected.has(id)) {
      if (expected.get(id) !== where) return false;
    } else added.add(where);
  }
  return added.size === addedPaths.size && [...addedPaths].every((where) => added.has(where));
}

/** Files present before the operation, by content, that are missing now beyond what the operation may delete. */
export function lostFiles(before, predicted, observed) {
  const now = multiset(observed.disk.values());
  let lost = 0;
  for (const [digest, count] of multiset(before.disk.values())) {
    const mayGo = Math.max(0, predicted.deletable.get(digest) ?? 0);
    lost += Math.max(0, count - mayGo - (now.get(digest) ?? 0));
  }
  return lost;
}

/**
 * `before` or `after` when registry and disk are both exactly one of the two states; otherwise `torn`, with
 * the paths and ids that disagree with both (a few, to name in the report).
 */
export function classify(before, predicted, observed) {
  const registryBefore = registryMatches(observed.registry, before.registry);
  const registryAfter = registryMatches(observed.registry, predicted.registry, predicted.addedPaths);
  const diskBefore = sameMap(observed.disk, before.disk);
  const diskAfter = sameMap(observed.disk, predicted.disk);
  if (registryBefore && diskBefore) return { outcome: 'before' };
  if (registryAfter && diskAfter) return { outcome: 'after' };
  const details = [];
  if (!registryBefore && !registryAfter) details.push('registry is neither before nor after');
  else details.push(`registry is ${registryBefore ? 'before' : 'after'}`);
  if (!diskBefore && !diskAfter) {
    const entries = [...observed.disk];
    const asBefore = entries.filter(
      ([key, digest]) => before.disk.get(key) === digest && predicted.disk.get(key) !== digest,
    ).length;
    const asAfter = entries.filter(
      ([key, digest]) => predicted.disk.get(key) === digest && before.disk.get(key) !== digest,
    ).length;
    const strays = entries
      .filter(([key, digest]) => before.disk.get(key) !== digest && predicted.disk.get(key) !== digest)
      .map(([key]) => key);
    const gone = [...before.disk.keys()].filter((key) => !observed.disk.has(key) && !predicted.disk.has(key));
    details.push(
      `disk is neither: ${asBefore} file(s) as before, ${asAfter} as after, unexpected ${strays.slice(0, 3).join(', ') || 'none'}, missing ${gone.slice(0, 3).join(', ') || 'none'}`,
    );
  } else details.push(`disk is ${diskBefore ? 'before' : 'after'}`);
  return { outcome: 'torn', details: details.join('; ') };
}
