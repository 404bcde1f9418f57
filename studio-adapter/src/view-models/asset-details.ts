import type { AssetView, MethodResult, SettingValue, Severity } from '@packer/core/contract';
import { diagnosticRows, type DiagnosticRow } from './diagnostic-row.js';
import type { NavigatorBadge } from './navigator.js';

/** The details panel of one asset, translated from `assets.get`. */
export interface AssetDetails {
  /** The snapshot revision the packer answered from. */
  revision: number;
  id: string;
  path: string;
  name: string;
  /** Folder part of the path ('' at the project root). */
  folder: string;
  kind: string;
  status: AssetView['status'];
  severity?: Severity;
  badges: NavigatorBadge[];
  /** What the packer last observed on disk; absent when the file is missing. */
  observation?: { size: number; modifiedAt: string; digest?: string };
  settings: { key: string; value: SettingValue }[];
  tags: string[];
  diagnostics: DiagnosticRow[];
}

export function assetDetails(result: MethodResult<'assets.get'>): AssetDetails {
  const { asset } = result;
  const slash = asset.path.lastIndexOf('/');
  const badges: NavigatorBadge[] = asset.status === 'missing' ? ['missing'] : [];
  if (asset.worstSeverity) badges.push(asset.worstSeverity);
  return {
    revision: result.revision,
    id: asset.id,
    path: asset.path,
    name: asset.path.slice(slash + 1),
    folder: slash === -1 ? '' : asset.path.slice(0, slash),
    kind: asset.kind,
    status: asset.status,
    ...(asset.worstSeverity ? { severity: asset.worstSeverity } : {}),
    badges,
    ...(asset.observation
      ? {
          observation: {
            size: asset.observation.size,
            modifiedAt: new Date(asset.observation.mtimeMs).toISOString(),
            ...(asset.observation.digest !== undefined ? { digest: asset.observation.digest } : {}),
          },
        }
      : {}),
    settings: Object.keys(asset.settings)
      .sort()
      .map((key) => ({ key, value: asset.settings[key]! })),
    tags: [...asset.tags],
    diagnostics: diagnosticRows(result.diagnostics, `asset:${asset.id}`),
  };
}
