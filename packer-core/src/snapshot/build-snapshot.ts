import { BUILTIN_PROCESSORS, FALLBACK_KIND, type ProjectConfig } from '../contract/config-schema.js';
import type { Diagnostic } from '../contract/diagnostics.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import type { AssetView, DivergenceEntry, PackBuildInfo, Snapshot, SnapshotSummary, UntrackedFile } from '../contract/snapshot-schema.js';
import type { DigestCache } from '../digest/digest-cache.js';
import { kindClassifier } from '../config/classify-kind.js';
import { assetRootOf } from '../paths/project-path.js';
import type { RegistryLoad } from '../registry/registry-store.js';
import type { FileStat } from '../scan/scanner.js';
import { diagnostic, diagnosticAbout } from './diagnostic.js';
import type { SnapshotState } from './snapshot-state.js';
import { settingsProblem } from './validate-settings.js';
import { findOutsideMoves, type FingerprintLookup } from './find-outside-moves.js';
import { registryIndex } from './registry-index.js';
import { leftBehindSidecars, sidecarRules, type SidecarRules } from '../scan/sidecar-rules.js';

export interface SnapshotInput {
  revision: number;
  config: ProjectConfig;
  registry: RegistryLoad;
  files: ReadonlyMap<string, FileStat>;
  escapes: readonly string[];
  digests: Pick<DigestCache, 'get' | 'lastKnown'>;
  /** Content fingerprints, to recognise files renamed and edited outside the packer (identical content needs none). */
  fingerprints?: FingerprintLookup | undefined;
  lastBuilds: readonly PackBuildInfo[];
  /** Diagnostics from outside the scan: crash recovery, an invalid config kept at its last good value. */
  extraDiagnostics: readonly Diagnostic[];
  /** The state this one replaces; unchanged asset views are shared with it. */
  previous?: SnapshotState | undefined;
}

const UNTRACKED_DIAGNOSTIC_LIMIT = 1000;
const SEVERITY_RANK = { info: 0, warning: 1, blocker: 2 } as const;

/** Derives a snapshot from (registry, disk observation): divergence is computed, never accumulated. */
export function buildSnapshot(input: SnapshotInput): SnapshotState {
  const { config, registry, files } = input;
  const entries = registry.state === 'ok' ? registry.entries : [];
  const diagnostics: Diagnostic[] = [...input.extraDiagnostics];
  const classify = kindClassifier(config);

  if (registry.state === 'read-only') {
    diagnostics.push(diagnostic('INVALID_REGISTRY', registry.error.message, { path: 'packer.registry.json' },
      String(registry.error.data.hint ?? 'Fix or restore packer.registry.json; the packer will not write it until it validates.')));
  }
  diagnostics.push(...configDiagnostics(config));

  const index = registryIndex(entries);
  const registeredPaths = index.byPath;

  const untrackedAll: UntrackedFile[] = [];
  let unsupportedReported = 0;
  for (const [path, stat] of files) {
    if (!stat.unsupported) continue;
    // The registry cannot hold the name: said once per file (or folder), never offered as untracked.
    if (unsupportedReported++ < UNTRACKED_DIAGNOSTIC_LIMIT) diagnostics.push(unsupportedNameDiagnostic(path, stat.unsupported));
  }
  if (unsupportedReported > UNTRACKED_DIAGNOSTIC_LIMIT) {
    diagnostics.push(diagnostic('UNSUPPORTED_FILE_NAME', `${unsupportedReported - UNTRACKED_DIAGNOSTIC_LIMIT} more files have names the registry cannot hold.`, {}, UNSUPPORTED_HINT));
  }
  const sidecars = sidecarRules(config);
  // Sidecars follow their asset and are never untracked; those whose owner is gone are orphans (reported below).
  const orphanSidecars = new Map<string, string[]>();
  if (registry.state === 'ok') {
    for (const [path, stat] of files) {
      if (stat.unsupported) continue;
      if (sidecars) {
        const owners = sidecars.ownersOf(path);
        if (owners.length > 0) {
          const owner = owners.find((candidate) => stat.sidecarOfFolder === candidate || (files.has(candidate) && !files.get(candidate)!.unsupported));
          if (owner === undefined && !registeredPaths.has(path)) orphanSidecars.set(path, owners);
          else if (owner !== undefined && registeredPaths.has(path)) diagnostics.push(registeredSidecarDiagnostic(path, owner, registeredPaths.get(path)![0]!.id));
          if (!registeredPaths.has(path)) continue;
        }
      }
      if (registeredPaths.has(path)) continue;
      const digest = input.digests.get(path, stat);
      // A kind depends on the config, so untracked views are shared only while the config is the same object.
      const prior = input.previous?.config === config ? input.previous.untrackedByPath.get(path) : undefined;
      const seen = prior?.observation;
      if (prior && seen && seen.size === stat.size && seen.mtimeMs === stat.mtimeMs && seen.digest === digest) untrackedAll.push(prior);
      else untrackedAll.push({ path, kind: classify(path), observation: observationOf(stat, digest) });
    }
  }
  const missingEntries = entries.filter((entry) => !files.has(entry.path));
  const moves = findOutsideMoves(missingEntries, untrackedAll, input.digests, input.fingerprints);

  const divergence: DivergenceEntry[] = [];
  for (const entry of missingEntries) {
    const move = moves.moved.get(entry.id);
    if (move) {
      divergence.push({ type: 'moved', assetId: entry.id, from: entry.path, to: move.to, ...(move.similarity ? { similarity: move.similarity } : {}) });
      const what = move.similarity ? `a renamed and edited copy of its content (${move.similarity.reason}) seems to be` : 'its content now sits';
      diagnostics.push(diagnostic('MOVED_OUTSIDE', `${entry.path} is missing; ${what} at ${move.to}.`, { assetId: entry.id, path: entry.path },
        'Run `packer reconcile` to relink the asset to its new path and keep its id.'));
    } else {
      const ambiguousWith = moves.ambiguousAssets.get(entry.id);
      divergence.push({ type: 'missing', assetId: entry.id, path: entry.path, ...(ambiguousWith ? { ambiguousWith } : {}) });
      diagnostics.push(diagnostic('MISSING_FILE', `${entry.path} is registered but not on disk.`, { assetId: entry.id, path: entry.path },
        'Restore the file, or run `packer reconcile` to drop the asset.'));
    }
  }
  diagnostics.push(...moves.ambiguous);
  if (sidecars) diagnostics.push(...sidecarDiagnostics(sidecars, files, orphanSidecars, divergence, registeredPaths));
  const moveTargets = new Set([...moves.moved.values()].map((move) => move.to));
  let untrackedReported = 0;
  for (const file of untrackedAll) {
    if (moveTargets.has(file.path)) continue;
    const ambiguousWith = moves.ambiguousFiles.get(file.path);
    divergence.push({ type: 'untracked', path: file.path, ...(ambiguousWith ? { ambiguousWith } : {}) });
    if (untrackedReported++ < UNTRACKED_DIAGNOSTIC_LIMIT) {
      diagnostics.push(diagnostic('UNTRACKED_FILE', `${file.path} is not registered.`, { path: file.path }, 'Run `packer add` or `packer reconcile` to register it.'));
    }
  }
  if (untrackedReported > UNTRACKED_DIAGNOSTIC_LIMIT) {
    diagnostics.push(diagnostic('UNTRACKED_FILE', `${untrackedReported - UNTRACKED_DIAGNOSTIC_LIMIT} more files are not registered.`, {}, 'Run `packer ls --status untracked` to list them.'));
  }

  let ofEntries = index.entryDiagnostics.get(config);
  if (!ofEntries) index.entryDiagnostics.set(config, (ofEntries = entryDiagnostics(entries, registeredPaths, config)));
  diagnostics.push(...ofEntries);
  diagnostics.push(...caseCollisions(index.byLowerPath, untrackedAll.map((file) => file.path)));
  for (const path of input.escapes) {
    diagnostics.push(diagnostic('PATH_OUTSIDE_PROJECT', `${path} is a symlink that points outside the project.`, { path }, 'Replace the link with the file itself, or move the target into the project.'));
  }

  const worst = new Map<string, Diagnostic['severity']>();
  for (const item of diagnostics) {
    // A finding about several assets (DUPLICATE_PATH) badges each of them.
    for (const assetId of item.subjects ? item.subjects.map((subject) => subject.assetId) : [item.assetId]) {
      if (!assetId) continue;
      const current = worst.get(assetId);
      if (!current || SEVERITY_RANK[item.severity] > SEVERITY_RANK[current]) worst.set(assetId, item.severity);
    }
  }
  // Views of unchanged assets are reused from the previous state: a one-file change costs one new object,
  // not a hundred thousand (they are immutable, so sharing them between snapshots is safe).
  const previousViews = input.previous?.byId;
  const assets: AssetView[] = entries.map((entry) => {
    const stat = files.get(entry.path);
    const digest = stat ? input.digests.get(entry.path, stat) : undefined;
    const severity = worst.get(entry.id);
    const prior = previousViews?.get(entry.id);
    // Compared before anything is allocated: at 100k assets this loop runs on every watcher change.
    if (prior && sameView(prior, entry, stat, digest, severity)) return prior;
    const observation = stat ? observationOf(stat, digest) : undefined;
    const view: AssetView = { id: entry.id, path: entry.path, kind: entry.kind, settings: entry.settings, tags: entry.tags, status: stat ? 'present' : 'missing' };
    if (observation) view.observation = observation;
    if (severity) view.worstSeverity = severity;
    return deepFreeze(view);
  });

  const snapshot: Snapshot = {
    revision: input.revision,
    projectName: config.name,
    registryState: registry.state,
    assets,
    untracked: untrackedAll,
    divergence,
    diagnostics,
    summary: summarize(assets, untrackedAll, divergence, diagnostics),
    lastBuilds: [...input.lastBuilds],
  };
  Object.freeze(assets);
  Object.freeze(untrackedAll);
  deepFreeze(divergence);
  deepFreeze(diagnostics);
  Object.freeze(snapshot);
  return {
    snapshot,
    config,
    entries,
    byId: new Map(assets.map((asset) => [asset.id, asset])),
    byPath: new Map(assets.map((asset) => [asset.path, asset])),
    untrackedByPath: new Map(untrackedAll.map((file) => [file.path, file])),
    files,
    escapes: input.escapes,
  };
}

/**
 * SIDECAR_LEFT_BEHIND for each sidecar an outside move left at the old path; ORPHAN_SIDECAR for the other files
 * whose owner is gone. A sidecar of a folder that holds files is no orphan (the scan notes empty folders itself).
 */
function sidecarDiagnostics(
  rules: SidecarRules,
  files: ReadonlyMap<string, FileStat>,
  orphans: Map<string, string[]>,
  divergence: readonly DivergenceEntry[],
  registered: ReadonlyMap<string, RegistryEntry[]>,
): Diagnostic[] {
  if (orphans.size === 0) return [];
  const out: Diagnostic[] = [];
  for (const entry of divergence) {
    if (entry.type !== 'moved') continue;
    for (const left of leftBehindSidecars(rules, files, entry.from, entry.to)) {
      if (!orphans.delete(left.from)) continue;
      out.push(diagnostic('SIDECAR_LEFT_BEHIND', `${entry.from} was moved to ${entry.to} outside the packer, but its sidecar ${left.from} stayed behind (it belongs at ${left.to}).`,
        { assetId: entry.assetId, path: left.from }, `Run \`packer reconcile\`: relinking the asset moves ${left.from} to ${left.to} in the same commit.`));
    }
  }
  const folders = orphans.size > 0 ? foldersHoldingFiles(files) : new Set<string>();
  let reported = 0;
  for (const [path, owners] of orphans) {
    if (owners.some((owner) => folders.has(owner))) continue;
    if (reported++ >= UNTRACKED_DIAGNOSTIC_LIMIT) continue;
    const owner = owners[0]!;
    const asset = registered.get(owner)?.[0];
    out.push(diagnostic('ORPHAN_SIDECAR', `${path} is a sidecar of ${owner}, which is not on disk; it is not an asset.`, asset ? { assetId: asset.id, path } : { path },
      asset
        ? `Restore ${owner}, or remove the asset with its sidecars (\`packer rm ${asset.id} --delete-file\`).`
        : `Delete ${path} if nothing needs it any more, or restore ${owner}.`));
  }
  if (reported > UNTRACKED_DIAGNOSTIC_LIMIT) {
    out.push(diagnostic('ORPHAN_SIDECAR', `${reported - UNTRACKED_DIAGNOSTIC_LIMIT} more sidecars have no asset or folder on disk.`, {}, 'Delete them if nothing needs them any more.'));
  }
  return out;
}

/** Every folder that holds an observed file: only computed when some sidecar's owner is not a file. */
function foldersHoldingFiles(files: ReadonlyMap<string, FileStat>): Set<string> {
  const folders = new Set<string>();
  for (const path of files.keys()) {
    for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
      const folder = path.slice(0, slash);
      if (folders.has(folder)) break;
      folders.add(folder);
    }
  }
  return folders;
}

function registeredSidecarDiagnostic(path: string, owner: string, assetId: string): Diagnostic {
  return diagnostic('SIDECAR_REGISTERED', `${path} is registered as an asset, but it is a sidecar of ${owner} (packer.json "sidecars").`, { assetId, path },
    `Unregister it and keep the file (\`packer rm ${assetId}\`): it then follows ${owner} as a sidecar. Until then it moves with ${owner} and stays registered.`);
}

const UNSUPPORTED_HINT = 'Rename it without backslashes or control characters, as valid UTF-8 (or add it to "ignore" in packer.json); until then the packer leaves it alone.';

function unsupportedNameDiagnostic(path: string, unsupported: NonNullable<FileStat['unsupported']>): Diagnostic {
  const what = unsupported.folder ? 'folder' : 'file';
  const below = unsupported.folder ? ' Nothing under it is seen.' : '';
  return diagnostic('UNSUPPORTED_FILE_NAME', `The ${what} ${path} (shown escaped) has a name holding ${unsupported.reason}, which the registry cannot hold; it cannot be registered.${below}`,
    { path }, UNSUPPORTED_HINT);
}

function observationOf(stat: FileStat, digest: string | undefined): AssetView['observation'] & object {
  return digest ? { size: stat.size, mtimeMs: stat.mtimeMs, digest } : { size: stat.size, mtimeMs: stat.mtimeMs };
}

function configDiagnostics(config: ProjectConfig): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [kind, rule] of Object.entries(config.kinds)) {
    const builtin = (BUILTIN_PROCESSORS as readonly string[]).includes(rule.processor);
    if (!builtin && !(rule.processor in config.tools)) {
      out.push(diagnostic('PROCESSOR_NOT_ALLOWED', `Kind "${kind}" uses processor "${rule.processor}", which is neither built in nor declared in "tools".`, { path: 'packer.json' },
        `Declare "${rule.processor}" under "tools" in packer.json, or use one of: ${BUILTIN_PROCESSORS.join(', ')}.`));
    }
  }
  return out;
}

function entryDiagnostics(entries: readonly RegistryEntry[], byPath: ReadonlyMap<string, RegistryEntry[]>, config: ProjectConfig): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [path, list] of byPath) {
    if (list.length > 1) out.push(duplicatePathDiagnostic(path, list));
  }
  for (const entry of entries) {
    const subject = { assetId: entry.id, path: entry.path };
    if (!assetRootOf(entry.path, config.assetRoots)) {
      out.push(diagnostic('INVALID_PATH', `${entry.path} is outside every asset root (${config.assetRoots.join(', ')}).`, subject, 'Move it into an asset root, or add its folder to "assetRoots".'));
    }
    const rule = config.kinds[entry.kind];
    if (!rule && entry.kind !== FALLBACK_KIND) {
      out.push(diagnostic('UNKNOWN_KIND', `${entry.path} has kind "${entry.kind}", which packer.json does not define.`, subject, `Define "${entry.kind}" under "kinds", or change the asset's kind with \`packer set\`.`));
    }
    const problem = settingsProblem(entry.settings, rule);
    if (problem) out.push(diagnostic('INVALID_SETTINGS', `${entry.path}: ${problem}.`, subject, 'Fix it with `packer set <asset> key=value`, or declare the setting for its kind.'));
  }
  return out;
}

/** Paths equal but for letter case: registered groups come from the cached index, untracked paths join them. */
function caseCollisions(registered: ReadonlyMap<string, string[]>, untracked: readonly string[]): Diagnostic[] {
  const extra = new Map<string, string[]>();
  for (const path of untracked) {
    const key = path.toLowerCase();
    const list = extra.get(key);
    if (list) list.push(path);
    else extra.set(key, [path]);
  }
  const groups: string[][] = [];
  for (const [key, list] of registered) {
    const more = extra.get(key);
    if (list.length > 1 || more) groups.push(more ? [...list, ...more] : list);
  }
  for (const [key, list] of extra) if (!registered.has(key) && list.length > 1) groups.push(list);
  return groups.map(caseCollisionDiagnostic);
}

/** One DUPLICATE_PATH per path, naming every entry that claims it. */
function duplicatePathDiagnostic(path: string, list: readonly RegistryEntry[]): Diagnostic {
  return diagnosticAbout('DUPLICATE_PATH', `${path} is claimed by ${list.length} registry entries (${list.map((e) => e.id).join(', ')}).`,
    list.map((entry) => ({ assetId: entry.id, path })), 'Remove all but one of them with `packer rm <id>`.');
}

/** One CASE_COLLISION per group of paths equal but for case, listing them all. */
function caseCollisionDiagnostic(list: readonly string[]): Diagnostic {
  return diagnosticAbout('CASE_COLLISION', `${list.join(', ')} differ only by letter case.`, list.map((path) => ({ path })),
    'Rename all but one of them: the project would break on case-insensitive filesystems (macOS, Windows).');
}

function summarize(assets: readonly AssetView[], untracked: readonly UntrackedFile[], divergence: readonly DivergenceEntry[], diagnostics: readonly Diagnostic[]): SnapshotSummary {
  const byKind: Record<string, number> = {};
  const byStatus: Record<string, number> = { present: 0, missing: 0 };
  let totalBytes = 0;
  for (const asset of assets) {
    byKind[asset.kind] = (byKind[asset.kind] ?? 0) + 1;
    byStatus[asset.status] = (byStatus[asset.status] ?? 0) + 1;
    totalBytes += asset.observation?.size ?? 0;
  }
  const severities = { blocker: 0, warning: 0, info: 0 };
  for (const item of diagnostics) severities[item.severity]++;
  const count = (severity: Diagnostic['severity']): number => severities[severity];
  return {
    assets: assets.length,
    byKind,
    byStatus,
    untracked: untracked.length,
    missing: byStatus.missing ?? 0,
    divergence: divergence.length,
    blockers: count('blocker'),
    warnings: count('warning'),
    infos: count('info'),
    totalBytes,
  };
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
  return value;
}

function sameView(prior: AssetView, entry: RegistryEntry, stat: FileStat | undefined, digest: string | undefined, severity: AssetView['worstSeverity']): boolean {
  const seen = prior.observation;
  return (
    prior.path === entry.path &&
    prior.kind === entry.kind &&
    prior.settings === entry.settings &&
    prior.tags === entry.tags &&
    prior.worstSeverity === severity &&
    (seen === undefined ? stat === undefined : stat !== undefined && seen.size === stat.size && seen.mtimeMs === stat.mtimeMs && seen.digest === digest)
  );
}
