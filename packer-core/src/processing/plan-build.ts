import picomatch from 'picomatch';
import type { BuildPlanView } from '../contract/build-schema.js';
import type { PackRule, ProjectConfig } from '../contract/config-schema.js';
import type { Diagnostic } from '../contract/diagnostics.js';
import { PackerError } from '../contract/errors.js';
import type { SettingValue } from '../contract/registry-schema.js';
import type { AssetView } from '../contract/snapshot-schema.js';
import { assetRootOf } from '../paths/project-path.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import type { SnapshotState } from '../snapshot/snapshot-state.js';
import { assetBlockers, processorBlockers } from './build-blockers.js';
import { cacheKeyOf, processorForKind, type ProcessorSpec } from './processor-spec.js';

/** One asset as it will enter one pack. */
export interface PlannedEntry {
  assetId: string;
  /** Project-relative source path. */
  path: string;
  /** Output name in the pack: the path relative to its asset root. */
  name: string;
  kind: string;
  size: number;
  inputDigest: string;
  settings: Readonly<Record<string, SettingValue>>;
  processor: ProcessorSpec;
  cacheKey: string;
}

export interface PlannedPack {
  name: string;
  /** Sorted by asset id. */
  entries: PlannedEntry[];
}

/** What a build will do, from one pinned snapshot. Blockers mean it writes nothing. */
export interface BuildPlan {
  revision: number;
  packs: PlannedPack[];
  blockers: Diagnostic[];
  warnings: Diagnostic[];
}

/**
 * Plans a build purely from one snapshot state: which registered assets go into which pack (path globs,
 * kinds, tags), their output names, processors and cache keys, and everything that must stop the build
 * before it writes anything. Throws NOT_FOUND for a pack name `packer.json` does not define.
 */
export function planBuild(state: SnapshotState, options: { packs?: readonly string[] | undefined } = {}): BuildPlan {
  const { config, snapshot } = state;
  const rules = selectRules(config, options.packs);
  const blockers: Diagnostic[] = snapshot.diagnostics.filter((item) => item.severity === 'blocker' && ['INVALID_REGISTRY', 'INVALID_CONFIG', 'RECOVERY_INCOMPLETE'].includes(item.code));
  for (const name of new Set(rules.map((rule) => rule.name))) {
    if (rules.filter((rule) => rule.name === name).length > 1) {
      blockers.push(diagnostic('DUPLICATE_OUTPUT', `packer.json defines more than one pack named "${name}"; they would write one file.`, { path: 'packer.json' }, 'Give each pack its own name.'));
    }
  }
  const warnings: Diagnostic[] = [];
  const blockedAssets = new Set<string>();
  const blockedKinds = new Set<string>();
  const packs = rules.map((rule): PlannedPack => {
    const selected = snapshot.assets.filter(packFilter(rule));
    if (selected.length === 0) warnings.push(diagnostic('EMPTY_PACK', `Pack "${rule.name}" selects no assets.`, { path: 'packer.json' }, 'Check its include, exclude, kinds and tags.'));
    const entries: PlannedEntry[] = [];
    const byName = new Map<string, AssetView[]>();
    for (const asset of selected) {
      if (!blockedKinds.has(asset.kind)) {
        blockedKinds.add(asset.kind);
        blockers.push(...processorBlockers(config, asset.kind));
      }
      if (!blockedAssets.has(asset.id)) {
        blockedAssets.add(asset.id);
        blockers.push(...assetBlockers(state, asset));
      }
      const root = assetRootOf(asset.path, config.assetRoots);
      const name = root && root !== '.' ? asset.path.slice(root.length + 1) : asset.path;
      byName.set(name, [...(byName.get(name) ?? []), asset]);
      const processor = processorForKind(config, asset.kind);
      const inputDigest = asset.observation?.digest;
      if (!processor || !inputDigest || !asset.observation) continue;
      entries.push({
        assetId: asset.id, path: asset.path, name, kind: asset.kind, size: asset.observation.size, inputDigest,
        settings: asset.settings, processor, cacheKey: cacheKeyOf(inputDigest, processor, asset.settings),
      });
    }
    for (const [name, claimants] of byName) {
      if (claimants.length < 2) continue;
      for (const asset of claimants) {
        blockers.push(diagnostic('DUPLICATE_OUTPUT', `Pack "${rule.name}" would hold ${claimants.length} entries named "${name}": ${claimants.map((a) => a.path).join(', ')}.`,
          { assetId: asset.id, path: asset.path }, 'Rename one of them, or exclude one from the pack.'));
      }
    }
    entries.sort((a, b) => (a.assetId < b.assetId ? -1 : a.assetId > b.assetId ? 1 : 0));
    return { name: rule.name, entries };
  });
  return { revision: snapshot.revision, packs, blockers, warnings };
}

/** The pack rules to build: all, or those named (NOT_FOUND for a name `packer.json` does not define). */
export function selectRules(config: ProjectConfig, names: readonly string[] | undefined): PackRule[] {
  if (!names) return config.packs;
  const unknown = names.filter((name) => !config.packs.some((rule) => rule.name === name));
  if (unknown.length > 0) {
    const known = config.packs.map((rule) => rule.name);
    throw new PackerError('NOT_FOUND', `packer.json defines no pack named ${unknown.map((name) => JSON.stringify(name)).join(', ')}.`, {
      packs: unknown,
      known,
      hint: known.length ? `Use one of: ${known.join(', ')}.` : 'Add a pack under "packs" in packer.json.',
    });
  }
  return config.packs.filter((rule) => names.includes(rule.name));
}

function packFilter(rule: PackRule): (asset: AssetView) => boolean {
  const included = picomatch(rule.include, { dot: true });
  const excluded = rule.exclude.length > 0 ? picomatch(rule.exclude, { dot: true }) : () => false;
  return (asset) =>
    included(asset.path) && !excluded(asset.path) &&
    (!rule.kinds || rule.kinds.includes(asset.kind)) &&
    (!rule.tags || rule.tags.some((tag) => asset.tags.includes(tag)));
}

/** The contract's view of a plan (`build.preview`). */
export function describePlan(plan: BuildPlan): BuildPlanView {
  return {
    revision: plan.revision,
    packs: plan.packs.map((pack) => ({ name: pack.name, entries: pack.entries.length, inputBytes: pack.entries.reduce((sum, entry) => sum + entry.size, 0) })),
    blockers: plan.blockers,
    warnings: plan.warnings,
  };
}
