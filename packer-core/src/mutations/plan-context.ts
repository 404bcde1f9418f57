import type { Diagnostic } from '../contract/diagnostics.js';
import { PackerError } from '../contract/errors.js';
import type { FilesystemMutation, Mutation, Plan, RegistryMutation } from '../contract/mutation-schema.js';
import { REGISTRY_VERSION } from '../contract/registry-schema.js';
import type { AssetView } from '../contract/snapshot-schema.js';
import { isAssetId } from '../contract/runtime-constants.js';
import { isSameOrInside, normalizeProjectPath } from '../paths/project-path.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import type { SnapshotState } from '../snapshot/snapshot-state.js';

/** Everything a planner may look at: one snapshot state and the project root (to normalise paths). */
export interface PlanContext {
  readonly state: SnapshotState;
  readonly projectRoot: string;
  /** Format of the registry file on disk, when known: an older one makes the plan announce its migration. */
  readonly registryVersion?: number | undefined;
  /** Entries a registry write would move to the file `registry.shards` assigns them: the plan announces it. */
  readonly registryLayout?: { shards: number; entries: number } | undefined;
}

/** Collects a plan's parts while a planner runs; `finish` sorts diagnostics into blockers and warnings. */
export class PlanBuilder {
  readonly diagnostics: Diagnostic[] = [];
  readonly registryMutations: RegistryMutation[] = [];
  readonly filesystemMutations: FilesystemMutation[] = [];

  constructor(
    private readonly context: PlanContext,
    private readonly mutation: Mutation,
  ) {}

  report(item: Diagnostic): void {
    this.diagnostics.push(item);
  }

  finish(): Plan {
    if (
      this.registryMutations.length === 0 &&
      this.filesystemMutations.length === 0 &&
      !this.diagnostics.some((d) => d.severity === 'blocker')
    ) {
      this.report(diagnostic('NO_CHANGE', 'This mutation changes nothing.'));
    }
    return {
      mutation: this.mutation,
      baseRevision: this.context.state.snapshot.revision,
      blockers: this.diagnostics.filter((item) => item.severity === 'blocker'),
      warnings: this.diagnostics.filter((item) => item.severity !== 'blocker'),
      registryMutations: this.registryMutations,
      filesystemMutations: this.filesystemMutations,
      ...this.registryMigration(),
    };
  }

  /** A plan that writes the registry (any change does) rewrites an older format in the current one. */
  private registryMigration(): Pick<Plan, 'registryMigration'> {
    const from = this.context.registryVersion;
    const layout = this.context.registryLayout;
    const writes = this.registryMutations.length + this.filesystemMutations.length > 0;
    if (!writes || (layout === undefined && (from === undefined || from >= REGISTRY_VERSION))) return {};
    const migration = { from: from ?? REGISTRY_VERSION, to: REGISTRY_VERSION, ...(layout ? { layout } : {}) };
    return { registryMigration: migration };
  }
}

/** Normalises a path, reporting a blocker (instead of throwing) when it is malformed or escapes. */
export function normalizeOrReport(builder: PlanBuilder, context: PlanContext, input: string): string | undefined {
  try {
    return normalizeProjectPath(input, context.projectRoot);
  } catch (error) {
    const code =
      error instanceof PackerError && error.code === 'PATH_OUTSIDE_PROJECT' ? 'PATH_OUTSIDE_PROJECT' : 'INVALID_PATH';
    builder.report(
      diagnostic(
        code,
        (error as Error).message,
        { path: input },
        'Use a path inside the project, relative to its root.',
      ),
    );
    return undefined;
  }
}

/** Resolves an asset reference (id, file path or folder path) to the assets it names. */
export function resolveAssets(
  builder: PlanBuilder,
  context: PlanContext,
  ref: string,
): { assets: AssetView[]; folder?: string } {
  const { state } = context;
  if (isAssetId(ref)) {
    const asset = state.byId.get(ref);
    if (!asset)
      builder.report(
        diagnostic(
          'NOT_FOUND',
          `No asset has id ${ref}.`,
          { assetId: ref },
          'Run `packer ls` to see registered assets.',
        ),
      );
    return { assets: asset ? [asset] : [] };
  }
  const path = normalizeOrReport(builder, context, ref);
  if (path === undefined) return { assets: [] };
  const exact = state.byPath.get(path);
  if (exact) {
    // A path two entries claim does not say which asset is meant.
    reportDuplicatePaths(builder, state, [exact]);
    return { assets: [exact] };
  }
  const inside = state.snapshot.assets.filter((asset) => isSameOrInside(asset.path, path));
  if (inside.length === 0) {
    builder.report(
      diagnostic(
        'NOT_FOUND',
        `No registered asset is at or under ${path}.`,
        { path },
        'Run `packer ls` to see registered assets, or `packer add` to register the file.',
      ),
    );
  }
  reportDuplicatePaths(builder, state, inside);
  return { assets: inside, folder: path };
}

/** Reports a DUPLICATE_PATH blocker for each of `assets` whose path more than one registry entry claims. */
export function reportDuplicatePaths(builder: PlanBuilder, state: SnapshotState, assets: readonly AssetView[]): void {
  const duplicated = new Set(
    state.snapshot.diagnostics.filter((item) => item.code === 'DUPLICATE_PATH').map((item) => item.path),
  );
  if (duplicated.size === 0) return;
  for (const path of new Set(assets.map((asset) => asset.path))) {
    if (duplicated.has(path)) {
      builder.report(
        diagnostic(
          'DUPLICATE_PATH',
          `${path} is claimed by more than one registry entry.`,
          { path },
          'Remove all but one of them by id (`packer rm <id>`) first.',
        ),
      );
    }
  }
}

/** The symlink escaping the project that `path` is, lies under, or (as a folder) contains. */
export function escapeFor(state: SnapshotState, path: string): string | undefined {
  return state.escapes.find((escape) => isSameOrInside(path, escape) || isSameOrInside(escape, path));
}
