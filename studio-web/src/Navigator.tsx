import { useEffect, useMemo, useState } from 'react';
import {
  assetPageRows,
  type MethodResult,
  type NavigatorAssetRow,
  type SnapshotHeader,
  type StudioSession,
} from '@packer/studio-adapter/browser';
import { ErrorNotice } from './ErrorNotice.js';

export interface NavigatorProps {
  session: StudioSession;
  header: SnapshotHeader;
  selectedId: string | undefined;
  onSelect(row: NavigatorAssetRow): void;
}

interface Filter {
  kind: string;
  tag: string;
  status: '' | 'present' | 'missing' | 'untracked';
  limit: number;
}

const PAGE_SIZES = [25, 100, 500];

/**
 * The asset tree of one `assets.list` page: filtered (kind, tag, status) and paged by the packer, reloaded on
 * every new revision. Badges are the packer's status and worst severity.
 */
export function Navigator({ session, header, selectedId, onSelect }: NavigatorProps) {
  const [filter, setFilter] = useState<Filter>({ kind: '', tag: '', status: '', limit: 100 });
  const [tagDraft, setTagDraft] = useState('');
  // Page tokens of the pages before the current one ('' is the first page).
  const [pages, setPages] = useState<string[]>(['']);
  const [result, setResult] = useState<MethodResult<'assets.list'>>();
  const [error, setError] = useState<unknown>();
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const page = pages.at(-1) ?? '';

  useEffect(() => {
    let current = true;
    session
      .listAssets({
        limit: filter.limit,
        ...(filter.kind ? { kind: filter.kind } : {}),
        ...(filter.tag ? { tag: filter.tag } : {}),
        ...(filter.status ? { status: filter.status } : {}),
        ...(page ? { page } : {}),
      })
      .then(
        (answer) => {
          if (!current) return;
          setResult(answer);
          setError(undefined);
        },
        (failure: { code?: string }) => {
          if (!current) return;
          // A page token belongs to one revision: after a change, the packer says so and we list from the start.
          if (failure.code === 'CONFLICT' && page) setPages(['']);
          else setError(failure);
        },
      );
    return () => {
      current = false;
    };
  }, [session, header.revision, filter, page]);

  const rows = useMemo(() => (result ? assetPageRows(result.items, { collapsed }) : []), [result, collapsed]);
  const change = (next: Partial<Filter>) => {
    setFilter((previous) => ({ ...previous, ...next }));
    setPages(['']);
  };
  const toggle = (path: string) =>
    setCollapsed((previous) => {
      const next = new Set(previous);
      if (!next.delete(path)) next.add(path);
      return next;
    });

  return (
    <section className="panel navigator" data-testid="navigator">
      <h2>Assets</h2>
      <div className="filters">
        <label>
          Kind{' '}
          <select
            data-testid="filter-kind"
            value={filter.kind}
            onChange={(event) => change({ kind: event.target.value })}
          >
            <option value="">all</option>
            {Object.entries(header.summary.byKind).map(([kind, count]) => (
              <option key={kind} value={kind}>
                {kind} ({count})
              </option>
            ))}
          </select>
        </label>
        <label>
          Status{' '}
          <select
            data-testid="filter-status"
            value={filter.status}
            onChange={(event) => change({ status: event.target.value as Filter['status'] })}
          >
            <option value="">registered</option>
            <option value="present">present</option>
            <option value="missing">missing ({header.summary.missing})</option>
            <option value="untracked">untracked ({header.summary.untracked})</option>
          </select>
        </label>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            change({ tag: tagDraft.trim() });
          }}
        >
          <label>
            Tag{' '}
            <input
              data-testid="filter-tag"
              value={tagDraft}
              onChange={(event) => setTagDraft(event.target.value)}
              placeholder="any"
              size={10}
            />
          </label>
        </form>
        <label>
          Per page{' '}
          <select
            data-testid="page-size"
            value={filter.limit}
            onChange={(event) => change({ limit: Number(event.target.value) })}
          >
            {PAGE_SIZES.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNotice error={error} testId="navigator-error" />
      {result ? (
        <div className="pager">
          <span data-testid="asset-total">{result.total}</span> matching · page{' '}
          <span data-testid="page-number">{pages.length}</span> · revision {result.revision}
          <button
            type="button"
            disabled={pages.length < 2}
            onClick={() => setPages((previous) => previous.slice(0, -1))}
          >
            ‹ Prev
          </button>
          <button
            type="button"
            data-testid="next-page"
            disabled={!result.nextPage}
            onClick={() => result.nextPage && setPages((previous) => [...previous, result.nextPage!])}
          >
            Next ›
          </button>
        </div>
      ) : null}
      <ul className="tree" data-testid="asset-tree">
        {rows.map((row) =>
          row.type === 'folder' ? (
            <li key={row.key} className="folder" style={{ paddingLeft: `${row.depth}em` }}>
              <button type="button" className="folder-toggle" onClick={() => toggle(row.path)}>
                {row.expanded ? '▾' : '▸'} {row.name}/
              </button>
            </li>
          ) : (
            <li
              key={row.key}
              className={`asset status-${row.status}${row.assetId !== undefined && row.assetId === selectedId ? ' selected' : ''}`}
              style={{ paddingLeft: `${row.depth}em` }}
              data-testid="asset-row"
              data-path={row.path}
              data-asset-id={row.assetId ?? ''}
              data-status={row.status}
            >
              <button
                type="button"
                className="asset-name"
                disabled={row.assetId === undefined}
                onClick={() => onSelect(row)}
              >
                {row.name}
              </button>
              <span className="kind">{row.kind}</span>
              {row.badges.map((badge) => (
                <span key={badge} className={`badge badge-${badge}`} data-testid={`badge-${badge}`}>
                  {badge}
                </span>
              ))}
            </li>
          ),
        )}
      </ul>
    </section>
  );
}
