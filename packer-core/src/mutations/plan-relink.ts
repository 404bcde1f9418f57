import type { z } from 'zod';
import type { RelinkMutation } from '../contract/mutation-schema.js';
import { assetRootOf } from '../paths/project-path.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import { escapeFor, normalizeOrReport, resolveAssets, type PlanBuilder, type PlanContext } from './plan-context.js';
import { entryOf } from './registry-entry.js';
import { planLeftBehindSidecars } from './sidecars.js';

/**
 * Points a missing asset at an untracked file (renamed, perhaps edited, outside the packer): a registry-only
 * change that keeps the id, kind, settings and tags (sidecars left at the old path follow the file). For when
 * reconcile could not pair them on its own.
 */
export function planRelink(builder: PlanBuilder, context: PlanContext, mutation: z.infer<typeof RelinkMutation>): void {
  const { state } = context;
  const { assets, folder } = resolveAssets(builder, context, mutation.from);
  if (assets.length === 0) return;
  if (folder !== undefined) {
    builder.report(
      diagnostic(
        'INVALID_PATH',
        `${folder} is a folder of ${assets.length} asset(s); relink takes one asset.`,
        { path: folder },
        'Name one missing asset by its id or its registered path.',
      ),
    );
    return;
  }
  const asset = assets[0]!;
  const to = normalizeOrReport(builder, context, mutation.to);
  if (to === undefined) return;
  if (asset.status !== 'missing') {
    builder.report(
      diagnostic(
        'ASSET_PRESENT',
        `${asset.path} is on disk, so there is nothing to relink.`,
        { assetId: asset.id, path: asset.path },
        `To move it, use \`packer mv ${asset.path} ${to}\`.`,
      ),
    );
  }
  if (to === asset.path) return;
  const registered = state.byPath.get(to);
  if (registered) {
    builder.report(
      diagnostic(
        'ALREADY_REGISTERED',
        `${to} is already registered as ${registered.id}.`,
        { assetId: registered.id, path: to },
        `Remove that asset first (\`packer rm ${registered.id}\`) if ${to} is really ${asset.id}.`,
      ),
    );
    return;
  }
  if (!assetRootOf(to, state.config.assetRoots)) {
    builder.report(
      diagnostic(
        'INVALID_PATH',
        `${to} is outside every asset root (${state.config.assetRoots.join(', ')}).`,
        { path: to },
        'Relink to a file inside an asset root.',
      ),
    );
    return;
  }
  const escape = escapeFor(state, to);
  if (escape) {
    builder.report(
      diagnostic('PATH_OUTSIDE_PROJECT', `${to} goes through ${escape}, a symlink that points outside the project.`, {
        path: to,
      }),
    );
    return;
  }
  if (!state.untrackedByPath.has(to)) {
    builder.report(
      diagnostic(
        'NOT_FOUND',
        `No file at ${to} that the packer could register (it does not exist, is a folder, or is ignored).`,
        { path: to },
        'Name the file the asset now is, as `packer ls --status untracked` lists it.',
      ),
    );
    return;
  }
  const before = entryOf(asset);
  builder.registryMutations.push({ op: 'update', before, after: { ...before, path: to } });
  planLeftBehindSidecars(builder, context, asset.path, to);
}
