import {
  isAssetId,
  isSameOrInside,
  normalizeProjectPath,
  PackerError,
  PAGE_SIZES,
  preflightDiagnostics,
  type SnapshotState,
} from '@packer/core';
import { snapshotPage } from './page-token.js';
import {
  involves,
  normalizeTag,
  summaryOfSnapshot,
  type AssetListItem,
  type Diagnostic,
  type MethodParams,
  type MethodResult,
} from '@packer/core/contract';

/** Reads answered from one immutable snapshot state: they never wait for the lane and never see a torn state. */
export function snapshotSummary(state: SnapshotState): MethodResult<'snapshot.summary'> {
  return summaryOfSnapshot(state.snapshot);
}

export function listAssets(
  state: SnapshotState,
  projectRoot: string,
  params: MethodParams<'assets.list'>,
): MethodResult<'assets.list'> {
  const { snapshot } = state;
  // Tags are held in one form (NFC, trimmed): `--tag ' x '` or an NFD spelling finds the tag as stored. Several
  // tags select an asset carrying any of them, as a pack's `tags` does.
  const tags =
    params.tag === undefined
      ? undefined
      : new Set((Array.isArray(params.tag) ? params.tag : [params.tag]).map(normalizeTag));
  const prefix = params.pathPrefix ? normalizeProjectPath(params.pathPrefix, projectRoot) : undefined;
  const registered: AssetListItem[] =
    params.status === 'untracked'
      ? []
      : snapshot.assets.filter(
          (asset) =>
            (!params.status || asset.status === params.status) &&
            (!params.kind || asset.kind === params.kind) &&
            (!tags || asset.tags.some((tag) => tags.has(tag))) &&
            (!prefix || isSameOrInside(asset.path, prefix) || asset.path.startsWith(prefix)),
        );
  const untracked: AssetListItem[] =
    params.status === 'untracked' && !params.tag
      ? snapshot.untracked
          .filter(
            (file) =>
              (!params.kind || file.kind === params.kind) &&
              (!prefix || isSameOrInside(file.path, prefix) || file.path.startsWith(prefix)),
          )
          .map((file) => ({
            path: file.path,
            kind: file.kind,
            status: 'untracked' as const,
            observation: file.observation,
          }))
      : [];
  const all = [...registered, ...untracked].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    revision: snapshot.revision,
    ...snapshotPage(all, snapshot.revision, params, PAGE_SIZES['assets.list'].default),
    // An unreadable registry lists nothing because nothing is known, not because nothing matches.
    ...(snapshot.summary.registryUnreadable ? { registryUnreadable: snapshot.summary.registryUnreadable } : {}),
  };
}

export function getAsset(state: SnapshotState, projectRoot: string, ref: string): MethodResult<'assets.get'> {
  const { snapshot } = state;
  const asset = isAssetId(ref) ? state.byId.get(ref) : state.byPath.get(normalizeProjectPath(ref, projectRoot));
  if (!asset) {
    throw new PackerError('NOT_FOUND', `No asset has ${isAssetId(ref) ? 'id' : 'path'} ${ref}.`, {
      ref,
      hint: 'Run `packer ls` to see registered assets, or `packer add` to register a file.',
    });
  }
  return {
    revision: snapshot.revision,
    asset,
    diagnostics: snapshot.diagnostics.filter((item) => involves(item, { assetId: asset.id, path: asset.path })),
  };
}

export function listDiagnostics(
  state: SnapshotState,
  params: MethodParams<'diagnostics.list'>,
): MethodResult<'diagnostics.list'> {
  const { snapshot } = state;
  // With `preflight`, the build plan's findings join the snapshot's: `packer check` is the build's preflight.
  const all = params.preflight ? preflightDiagnostics(state) : snapshot.diagnostics;
  const items = all.filter(
    (item) =>
      (!params.severity || item.severity === params.severity) &&
      (!params.code || item.code === params.code) &&
      (!params.assetId || involves(item, { assetId: params.assetId })),
  );
  const counts = params.preflight
    ? severityCounts(all)
    : { blockers: snapshot.summary.blockers, warnings: snapshot.summary.warnings, infos: snapshot.summary.infos };
  return {
    revision: snapshot.revision,
    ...snapshotPage(items, snapshot.revision, params, PAGE_SIZES['diagnostics.list'].default),
    ...counts,
  };
}

export function listDivergence(
  state: SnapshotState,
  params: MethodParams<'divergence.list'>,
): MethodResult<'divergence.list'> {
  const { snapshot } = state;
  return {
    revision: snapshot.revision,
    ...snapshotPage(snapshot.divergence, snapshot.revision, params, PAGE_SIZES['divergence.list'].default),
  };
}

function severityCounts(items: readonly Diagnostic[]): { blockers: number; warnings: number; infos: number } {
  const counts = { blockers: 0, warnings: 0, infos: 0 };
  for (const item of items)
    counts[item.severity === 'blocker' ? 'blockers' : item.severity === 'warning' ? 'warnings' : 'infos']++;
  return counts;
}
