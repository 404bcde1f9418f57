import { useEffect, useState } from 'react';
import { assetDetails, type AssetDetails, type StudioSession } from '@packer/studio-adapter/browser';
import { ErrorNotice } from './ErrorNotice.js';

export interface AssetDetailsPanelProps {
  session: StudioSession;
  revision: number;
  assetId: string | undefined;
}

/** One asset as `assets.get` answers it, reloaded on every revision (a move keeps the id; the path follows). */
export function AssetDetailsPanel({ session, revision, assetId }: AssetDetailsPanelProps) {
  const [details, setDetails] = useState<AssetDetails>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (!assetId) return;
    let current = true;
    session.getAsset(assetId).then(
      (answer) => current && (setDetails(assetDetails(answer)), setError(undefined)),
      (failure: unknown) => current && (setDetails(undefined), setError(failure)),
    );
    return () => {
      current = false;
    };
  }, [session, revision, assetId]);

  if (!assetId)
    return (
      <section className="panel details">
        <h2>Asset</h2>
        <p className="muted">Select an asset in the tree.</p>
      </section>
    );
  return (
    <section className="panel details" data-testid="asset-details">
      <h2>Asset</h2>
      <ErrorNotice error={error} testId="details-error" />
      {details ? (
        <dl>
          <dt>Path</dt>
          <dd data-testid="details-path">{details.path}</dd>
          <dt>Id</dt>
          <dd data-testid="details-id">{details.id}</dd>
          <dt>Kind</dt>
          <dd>{details.kind}</dd>
          <dt>Status</dt>
          <dd data-testid="details-status">
            {details.status}{' '}
            {details.badges.map((badge) => (
              <span key={badge} className={`badge badge-${badge}`}>
                {badge}
              </span>
            ))}
          </dd>
          {details.observation ? (
            <>
              <dt>On disk</dt>
              <dd>
                {details.observation.size.toLocaleString('en')} bytes · {details.observation.modifiedAt}
                {details.observation.digest ? <div className="digest">{details.observation.digest}</div> : null}
              </dd>
            </>
          ) : null}
          <dt>Tags</dt>
          <dd>{details.tags.length ? details.tags.join(', ') : '—'}</dd>
          <dt>Settings</dt>
          <dd>
            {details.settings.length
              ? details.settings.map(({ key, value }) => (
                  <div key={key}>
                    {key} = {JSON.stringify(value)}
                  </div>
                ))
              : '—'}
          </dd>
          <dt>Diagnostics</dt>
          <dd>
            {details.diagnostics.length
              ? details.diagnostics.map((row) => (
                  <div key={row.key} className={`sev-${row.severity}`}>
                    {row.code}: {row.message}
                  </div>
                ))
              : '—'}
          </dd>
          <dt>Revision</dt>
          <dd>{details.revision}</dd>
        </dl>
      ) : null}
    </section>
  );
}
