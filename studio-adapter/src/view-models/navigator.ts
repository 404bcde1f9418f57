import type { AssetListItem, AssetView, Severity, Snapshot, UntrackedFile } from '@packer/core/contract';

/** A badge on a navigator row: the packer's status (when not `present`) and its worst severity for the asset. */
export type NavigatorBadge = 'missing' | 'untracked' | Severity;

export interface NavigatorFolderRow {
  type: 'folder';
  /** Stable across renders: `folder:<path>`. */
  key: string;
  path: string;
  name: string;
  depth: number;
  expanded: boolean;
}

export interface NavigatorAssetRow {
  type: 'asset';
  /** Stable across renders and moves: `asset:<id>` (untracked files: `untracked:<path>`). */
  key: string;
  /** Absent for an untracked file: the packer has not given it an identity. */
  assetId?: string;
  path: string;
  name: string;
  depth: number;
  kind: string;
  status: AssetView['status'] | 'untracked';
  /** The packer's `worstSeverity` for the asset, as it reported it. */
  severity?: Severity;
  /** Status badge first (missing, untracked), then the severity badge. */
  badges: NavigatorBadge[];
}

export type NavigatorRow = NavigatorFolderRow | NavigatorAssetRow;

export interface NavigatorOptions {
  /** Folder paths whose contents are hidden. */
  collapsed?: ReadonlySet<string>;
}

interface FolderNode {
  folders: Map<string, FolderNode>;
  files: { name: string; row: Omit<NavigatorAssetRow, 'depth' | 'name'> }[];
}

/**
 * The navigator tree as rows in display order (folders first, then files, each sorted by name). Folders come
 * from path segments only; statuses and badges are the packer's, never re-derived from diagnostics.
 */
export function navigatorRows(
  snapshot: Pick<Snapshot, 'assets' | 'untracked'>,
  options: NavigatorOptions = {},
): NavigatorRow[] {
  const root: FolderNode = { folders: new Map(), files: [] };
  for (const asset of snapshot.assets) insert(root, asset.path, assetRow(asset));
  for (const file of snapshot.untracked) insert(root, file.path, untrackedRow(file));
  const rows: NavigatorRow[] = [];
  walk(root, '', 0, options.collapsed ?? new Set(), rows);
  return rows;
}

/**
 * The navigator tree of one `assets.list` page (filtered and paged by the packer): the same rows as
 * `navigatorRows`, for projects too large to hold whole.
 */
export function assetPageRows(items: readonly AssetListItem[], options: NavigatorOptions = {}): NavigatorRow[] {
  const assets: AssetView[] = [];
  const untracked: UntrackedFile[] = [];
  for (const item of items) {
    if (item.status === 'untracked')
      untracked.push({ path: item.path, kind: item.kind, observation: item.observation });
    else assets.push(item);
  }
  return navigatorRows({ assets, untracked }, options);
}

function assetRow(asset: AssetView): Omit<NavigatorAssetRow, 'depth' | 'name'> {
  const badges: NavigatorBadge[] = asset.status === 'missing' ? ['missing'] : [];
  if (asset.worstSeverity) badges.push(asset.worstSeverity);
  return {
    type: 'asset',
    key: `asset:${asset.id}`,
    assetId: asset.id,
    path: asset.path,
    kind: asset.kind,
    status: asset.status,
    ...(asset.worstSeverity ? { severity: asset.worstSeverity } : {}),
    badges,
  };
}

function untrackedRow(file: UntrackedFile): Omit<NavigatorAssetRow, 'depth' | 'name'> {
  return {
    type: 'asset',
    key: `untracked:${file.path}`,
    path: file.path,
    kind: file.kind,
    status: 'untracked',
    badges: ['untracked'],
  };
}

function insert(root: FolderNode, path: string, row: Omit<NavigatorAssetRow, 'depth' | 'name'>): void {
  const segments = path.split('/');
  const name = segments.pop() ?? path;
  let node = root;
  for (const segment of segments) {
    let next = node.folders.get(segment);
    if (!next) node.folders.set(segment, (next = { folders: new Map(), files: [] }));
    node = next;
  }
  node.files.push({ name, row });
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function walk(
  node: FolderNode,
  prefix: string,
  depth: number,
  collapsed: ReadonlySet<string>,
  rows: NavigatorRow[],
): void {
  for (const name of [...node.folders.keys()].sort(byName)) {
    const path = prefix ? `${prefix}/${name}` : name;
    const expanded = !collapsed.has(path);
    rows.push({ type: 'folder', key: `folder:${path}`, path, name, depth, expanded });
    if (expanded) walk(node.folders.get(name)!, path, depth + 1, collapsed, rows);
  }
  const files = [...node.files].sort((a, b) => byName(a.name, b.name) || byName(a.row.key, b.row.key));
  for (const file of files) rows.push({ ...file.row, name: file.name, depth });
}
