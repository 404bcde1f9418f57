import type { BuildPlanView } from '../contract/build-schema.js';
import type { PackRule, ProjectConfig } from '../contract/config-schema.js';
import type { Diagnostic } from '../contract/diagnostics.js';
import { PackerError } from '../contract/errors.js';
import type { SettingValue } from '../contract/registry-schema.js';
import type { AssetView, Observation } from '../contract/snapshot-schema.js';
import type { LayoutEntry } from '../packs/pack-format.js';
import { assetRootOf } from '../paths/project-path.js';
import { appendAll } from '../snapshot/append-all.js';
import { sameItems } from '../snapshot/same-items.js';
import { diagnostic, diagnosticAbout } from '../snapshot/diagnostic.js';
import type { SnapshotState } from '../snapshot/snapshot-state.js';
import { hasSnapshotBlockers, ownBlockers, processorBlockers, snapshotBlockers } from './build-blockers.js';
import { selectPackAssets, type PackSelection } from './pack-selection.js';
import { packInputFingerprint } from './pack-fingerprint.js';
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

/** The pack index entry of a planned asset whose output is `output` (processed, cached, downloaded or copied). */
export function layoutEntryOf(
  entry: PlannedEntry,
  output: Pick<LayoutEntry, 'size' | 'digest' | 'metadata'>,
): LayoutEntry {
  return {
    id: entry.assetId,
    name: entry.name,
    path: entry.path,
    kind: entry.kind,
    size: output.size,
    digest: output.digest,
    metadata: output.metadata,
  };
}

export interface PlannedPack {
  name: string;
  /** Sorted by asset id. */
  entries: PlannedEntry[];
}

/**
 * One pack of a plan: its counts and input fingerprint, and its entries made when a build writes the pack. Plans are
 * kept as long as their snapshot state and pack plans as long as their selection: keeping every entry (100k
 * objects, output names and cache keys, ~25 MB at 100k files) for that long set the daemon's memory peak in every
 * build after the first, where a no-change build needs only the fingerprints and a one-file build one pack's entries.
 */
export interface PackPlan {
  readonly name: string;
  /** How many entries the pack will hold. */
  readonly count: number;
  /** The bytes of their inputs. */
  readonly inputBytes: number;
  /**
   * The pack's input fingerprint (see `packInputFingerprint`), computed once per pack plan and project name. When
   * that needs the pack's entries, `madeEntries` gets them, so a caller that writes the pack need not make them again.
   */
  fingerprint(project: string, madeEntries?: (pack: PlannedPack) => void): string;
  /** The pack with its entries, made anew on each call and not kept: the caller holds them while it needs them. */
  planned(): PlannedPack;
  /** Each asset the pack will hold, with its input size (no entry made). */
  forEachAsset(visit: (assetId: string, size: number) => void): void;
}

/** What a build will do, from one pinned snapshot. Blockers mean it writes nothing. */
export interface BuildPlan {
  revision: number;
  packs: PackPlan[];
  blockers: Diagnostic[];
  warnings: Diagnostic[];
}

/**
 * Plans a build purely from one snapshot state: which registered assets go into which pack (path globs,
 * kinds, tags), their output names, processors and cache keys, and everything that must stop the build
 * before it writes anything. Throws NOT_FOUND for a pack name `packer.json` does not define.
 *
 * Cost follows the change: the plan of a state is computed once (a preflight and the build share it); a pack
 * whose selection is the very same asset views as last time (unchanged assets keep their view from one
 * snapshot to the next) keeps its pack plan (counts, findings, fingerprint), so a one-file change re-plans the
 * one pack that holds the file. Entries are made only for the packs a build writes (see `PackPlan`).
 */
export function planBuild(state: SnapshotState, options: { packs?: readonly string[] | undefined } = {}): BuildPlan {
  const memoKey = options.packs ? JSON.stringify(options.packs) : '*';
  let plans = plansByState.get(state);
  const known = plans?.get(memoKey);
  if (known) return known;
  const plan = planNow(state, options);
  if (!plans) plansByState.set(state, (plans = new Map()));
  plans.set(memoKey, plan);
  return plan;
}

// Plans are pure functions of the (immutable) state: kept as long as the state is.
const plansByState = new WeakMap<SnapshotState, Map<string, BuildPlan>>();

function planNow(state: SnapshotState, options: { packs?: readonly string[] | undefined }): BuildPlan {
  const { config, snapshot } = state;
  const rules = selectRules(config, options.packs);
  // One diagnostic per problem: a snapshot finding about two assets of a pack (DUPLICATE_PATH), or an asset in two
  // packs, is reported once (findings of an unchanged asset are the very same objects from one plan to the next).
  const reported = new Set<Diagnostic>();
  const blockers: Diagnostic[] = [];
  const block = (items: readonly Diagnostic[]): void => {
    for (const item of items) {
      if (reported.has(item)) continue;
      reported.add(item);
      blockers.push(item);
    }
  };
  block(
    snapshot.diagnostics.filter(
      (item) =>
        item.severity === 'blocker' &&
        ['INVALID_REGISTRY', 'INVALID_CONFIG', 'RECOVERY_INCOMPLETE'].includes(item.code),
    ),
  );
  for (const name of new Set(rules.map((rule) => rule.name))) {
    if (rules.filter((rule) => rule.name === name).length > 1) {
      blockers.push(
        diagnostic(
          'DUPLICATE_OUTPUT',
          `packer.json defines more than one pack named "${name}"; they would write one file.`,
          { path: 'packer.json' },
          'Give each pack its own name.',
        ),
      );
    }
  }
  const warnings: Diagnostic[] = [];
  const blockedKinds = new Set<string>();
  const selections = selectionsOf(config, snapshot.assets);
  const perAsset = hasSnapshotBlockers(state);
  const packs = rules.map((rule): PackPlan => {
    let selection = selections.get(rule);
    if (!selection) selections.set(rule, (selection = selectPackAssets(rule, snapshot.assets)));
    // An unreadable registry lists no asset: INVALID_REGISTRY says why, an empty selection would only repeat it.
    if (snapshot.registryState === 'ok') {
      block(selection.blockers);
      appendAll(warnings, selection.warnings);
    }
    const planned = plannedPackOf(rule, config, selection.selected);
    const kindBlockers = (kind: string): void => {
      if (blockedKinds.has(kind)) return;
      blockedKinds.add(kind);
      block(processorBlockers(config, kind));
    };
    if (perAsset) {
      for (const asset of selection.selected) {
        kindBlockers(asset.kind);
        block(snapshotBlockers(state, asset.id));
        block(ownBlockersOf(config, asset));
      }
    } else {
      // In selection order, as the loop above: each kind when first met, and each asset's own findings.
      for (const step of planned.steps) {
        if (typeof step === 'string') kindBlockers(step);
        else block(step);
      }
    }
    appendAll(blockers, planned.duplicates);
    return planned;
  });
  return { revision: snapshot.revision, packs, blockers, warnings };
}

/**
 * Each rule's selection from one list of assets, kept for the next plan while the list holds the very same views
 * (a state published for another reason, a build recording its packs, changes none of them), or views that select
 * alike (see `carriedOver`).
 */
function selectionsOf(config: ProjectConfig, assets: readonly AssetView[]): Map<PackRule, PackSelection> {
  const known = selectionMemos.get(config);
  if (known && sameItems(known.assets, assets)) return known.selections;
  const selections = known ? carriedOver(known, assets) : new Map<PackRule, PackSelection>();
  selectionMemos.set(config, { assets, selections });
  return selections;
}

/** Views that may differ between two lists for their selections to be carried over rather than made again. */
const MAX_SWAPPED_VIEWS = 256;

/**
 * The selections made from `known.assets`, for a list that differs from it only in a few views that every filter
 * treats alike (the same path, kind and tags: a file whose content changed), with those views swapped in. A
 * one-file build of 100k assets made every rule's selection again (13 passes over 100k views, 264 MB allocated);
 * now a pass over the two lists and over what the rules selected. A rule none of the views is in keeps its very
 * selection, so its planned entries are kept too (see `plannedPackOf`). Anything else: nothing carried over.
 */
function carriedOver(
  known: { assets: readonly AssetView[]; selections: Map<PackRule, PackSelection> },
  assets: readonly AssetView[],
): Map<PackRule, PackSelection> {
  const selections = new Map<PackRule, PackSelection>();
  const previous = known.assets;
  if (previous.length !== assets.length) return selections;
  const swapped = new Map<AssetView, AssetView>();
  for (let index = 0; index < assets.length; index++) {
    const before = previous[index]!;
    const after = assets[index]!;
    if (before === after) continue;
    if (swapped.size >= MAX_SWAPPED_VIEWS || !selectsAlike(before, after)) return selections;
    swapped.set(before, after);
  }
  for (const [rule, selection] of known.selections) {
    let selected: AssetView[] | undefined;
    selection.selected.forEach((view, index) => {
      const next = swapped.get(view);
      if (next) (selected ??= [...selection.selected])[index] = next;
    });
    selections.set(rule, selected ? { ...selection, selected } : selection);
  }
  return selections;
}

/** Whether every pack filter (include and exclude paths, kinds, tags) takes two views the same way. */
function selectsAlike(a: AssetView, b: AssetView): boolean {
  return a.path === b.path && a.kind === b.kind && sameItems(a.tags, b.tags);
}

const selectionMemos = new WeakMap<
  ProjectConfig,
  { assets: readonly AssetView[]; selections: Map<PackRule, PackSelection> }
>();

/**
 * A rule's pack plan for one selection, kept for the next plan while the selection is the same views: counts, its
 * findings and (once asked) its fingerprint; entries are made by `planned()` and not kept.
 */
class PackMemo implements PackPlan {
  readonly name: string;
  readonly count: number;
  readonly inputBytes: number;
  readonly duplicates: Diagnostic[];
  /** In selection order: a kind when first met in the pack, and the own findings of each asset that has some. */
  readonly steps: (string | readonly Diagnostic[])[];
  private fingerprints: { project: string; fingerprint: string } | undefined;

  constructor(
    rule: PackRule,
    readonly config: ProjectConfig,
    readonly selected: readonly AssetView[],
  ) {
    this.name = rule.name;
    const steps: PackMemo['steps'] = [];
    const kinds = new Set<string>();
    const byName = new Map<string, AssetView | AssetView[]>();
    let count = 0;
    let inputBytes = 0;
    for (const asset of selected) {
      const blockers = ownBlockersOf(config, asset);
      if (!kinds.has(asset.kind)) {
        kinds.add(asset.kind);
        steps.push(asset.kind);
      }
      if (blockers.length > 0) steps.push(blockers);
      if (isPlanned(asset, config)) {
        count++;
        inputBytes += asset.observation.size;
      }
      const name = outputNameOf(asset.path, config.assetRoots);
      const claimant = byName.get(name);
      byName.set(
        name,
        claimant === undefined ? asset : Array.isArray(claimant) ? [...claimant, asset] : [claimant, asset],
      );
    }
    const duplicates: Diagnostic[] = [];
    for (const [name, claimants] of byName)
      if (Array.isArray(claimants)) duplicates.push(duplicateOutput(rule.name, name, claimants));
    this.count = count;
    this.inputBytes = inputBytes;
    this.duplicates = duplicates;
    this.steps = steps;
  }

  fingerprint(project: string, madeEntries?: (pack: PlannedPack) => void): string {
    if (this.fingerprints?.project !== project) {
      const pack = this.planned();
      madeEntries?.(pack);
      this.fingerprints = { project, fingerprint: packInputFingerprint(pack, project) };
    }
    return this.fingerprints.fingerprint;
  }

  planned(): PlannedPack {
    const entries: PlannedEntry[] = [];
    for (const asset of this.selected) {
      const entry = plannedEntryOf(asset, this.config);
      if (entry) entries.push(entry);
    }
    entries.sort((a, b) => (a.assetId < b.assetId ? -1 : a.assetId > b.assetId ? 1 : 0));
    return { name: this.name, entries };
  }

  forEachAsset(visit: (assetId: string, size: number) => void): void {
    for (const asset of this.selected) if (isPlanned(asset, this.config)) visit(asset.id, asset.observation.size);
  }
}

const packMemos = new WeakMap<PackRule, PackMemo>();

/**
 * An asset's own blockers, the very same objects in every plan and pack while its view lives (a finding is reported
 * once, by identity). Only views that have some are remembered.
 */
function ownBlockersOf(config: ProjectConfig, asset: AssetView): readonly Diagnostic[] {
  let byView = blockerMemos.get(config);
  const known = byView?.get(asset);
  if (known) return known;
  const found = ownBlockers(config, asset);
  if (found.length === 0) return NO_BLOCKERS;
  if (!byView) blockerMemos.set(config, (byView = new WeakMap()));
  byView.set(asset, found);
  return found;
}

const blockerMemos = new WeakMap<ProjectConfig, WeakMap<AssetView, readonly Diagnostic[]>>();
const NO_BLOCKERS: readonly Diagnostic[] = Object.freeze([]);

/** One processor spec per kind and config, shared by every planned entry of that kind. */
function sharedProcessorFor(config: ProjectConfig, kind: string): ProcessorSpec | undefined {
  let byKind = processorsByConfig.get(config);
  if (!byKind) processorsByConfig.set(config, (byKind = new Map()));
  if (!byKind.has(kind)) byKind.set(kind, processorForKind(config, kind));
  return byKind.get(kind);
}

const processorsByConfig = new WeakMap<ProjectConfig, Map<string, ProcessorSpec | undefined>>();

function plannedPackOf(rule: PackRule, config: ProjectConfig, selected: readonly AssetView[]): PackMemo {
  const known = packMemos.get(rule);
  if (known && known.config === config && sameItems(known.selected, selected)) return known;
  const memo = new PackMemo(rule, config, selected);
  packMemos.set(rule, memo);
  return memo;
}

/** An asset whose content was read (its digest is known). */
type ReadAsset = AssetView & { observation: Observation & { digest: string } };

/** Whether an asset gets an entry: its content was read and its kind has a processor (see `plannedEntryOf`). */
function isPlanned(asset: AssetView, config: ProjectConfig): asset is ReadAsset {
  return !!asset.observation?.digest && sharedProcessorFor(config, asset.kind) !== undefined;
}

/** An asset's entry, or undefined when it cannot be built (no processor, not read): its blockers say why. */
function plannedEntryOf(asset: AssetView, config: ProjectConfig): PlannedEntry | undefined {
  const processor = sharedProcessorFor(config, asset.kind);
  if (!processor || !isPlanned(asset, config)) return undefined;
  const { digest: inputDigest, size } = asset.observation;
  return {
    assetId: asset.id,
    path: asset.path,
    name: outputNameOf(asset.path, config.assetRoots),
    kind: asset.kind,
    size,
    inputDigest,
    settings: asset.settings,
    processor,
    cacheKey: cacheKeyOf(inputDigest, processor, asset.settings),
  };
}

/** An entry's name in its pack: its path relative to its asset root (so packs spanning roots can collide). */
function outputNameOf(assetPath: string, roots: readonly string[]): string {
  const root = assetRootOf(assetPath, roots);
  return root && root !== '.' ? assetPath.slice(root.length + 1) : assetPath;
}

/** One DUPLICATE_OUTPUT per output name of a pack, listing every asset that claims it. */
function duplicateOutput(pack: string, name: string, claimants: readonly AssetView[]): Diagnostic {
  return diagnosticAbout(
    'DUPLICATE_OUTPUT',
    `Pack "${pack}" would hold ${claimants.length} entries named "${name}": ${claimants.map((a) => a.path).join(', ')}.`,
    claimants.map((asset) => ({ assetId: asset.id, path: asset.path })),
    'Output names are relative to the asset root: rename one of them, or exclude one from the pack (or split the pack by root).',
  );
}

/** The pack rules to build: all, or those named (NOT_FOUND for a name `packer.json` does not define). */
export function selectRules(config: ProjectConfig, names: readonly string[] | undefined): PackRule[] {
  if (!names) return config.packs;
  const unknown = names.filter((name) => !config.packs.some((rule) => rule.name === name));
  if (unknown.length > 0) {
    const known = config.packs.map((rule) => rule.name);
    throw new PackerError(
      'NOT_FOUND',
      `packer.json defines no pack named ${unknown.map((name) => JSON.stringify(name)).join(', ')}.`,
      {
        packs: unknown,
        known,
        hint: known.length ? `Use one of: ${known.join(', ')}.` : 'Add a pack under "packs" in packer.json.',
      },
    );
  }
  return config.packs.filter((rule) => names.includes(rule.name));
}

/** The contract's view of a plan (`build.preview`). */
export function describePlan(plan: BuildPlan): BuildPlanView {
  return {
    revision: plan.revision,
    packs: plan.packs.map((pack) => ({ name: pack.name, entries: pack.count, inputBytes: pack.inputBytes })),
    blockers: plan.blockers,
    warnings: plan.warnings,
  };
}
