import { useState } from 'react';
import type { MutationInput, NavigatorAssetRow } from '@packer/studio-adapter/browser';
import { ActivityView } from './ActivityView.js';
import { AssetDetailsPanel } from './AssetDetailsPanel.js';
import { DiagnosticsView } from './DiagnosticsView.js';
import { ErrorNotice } from './ErrorNotice.js';
import { MutationPreview } from './MutationPreview.js';
import { Navigator } from './Navigator.js';
import { useStudioSession } from './use-studio-session.js';

export interface AppProps {
  token: string | undefined;
}

/** The reference Studio: everything it shows is the packer's, through @packer/studio-adapter's browser entry. */
export function App({ token }: AppProps) {
  const connection = useStudioSession(token);
  const [selected, setSelected] = useState<NavigatorAssetRow>();
  const [requested, setRequested] = useState<{ id: number; mutation: MutationInput }>();

  if (connection.phase === 'failed') {
    return (
      <main className="studio">
        <h1>Packer Studio</h1>
        <ErrorNotice error={connection.error} testId="connect-error" />
      </main>
    );
  }
  if (connection.phase === 'connecting' || !connection.header) {
    return (
      <main className="studio">
        <h1>Packer Studio</h1>
        <p data-testid="connecting">Connecting…</p>
      </main>
    );
  }
  const { session, state, header, activity, lastError } = connection;
  const { summary } = header;
  return (
    <main className="studio">
      <header>
        <h1>
          Packer Studio · <span data-testid="project-name">{header.projectName}</span>
        </h1>
        <span className={`badge state-${state}`} data-testid="session-state">
          {state}
        </span>
        <span className="muted">
          revision <span data-testid="revision">{header.revision}</span> ·{' '}
          <span data-testid="summary-assets">{summary.assets}</span> assets · {summary.missing} missing ·{' '}
          {summary.untracked} untracked · {summary.blockers} blockers · {summary.warnings} warnings
        </span>
      </header>
      {state === 'stale' ? (
        <div className="banner" role="status" data-testid="divergence-banner">
          The project changed outside the packer: {summary.divergence} difference(s) from the registry.{' '}
          <button
            type="button"
            data-testid="preview-reconcile"
            onClick={() =>
              setRequested((previous) => ({ id: (previous?.id ?? 0) + 1, mutation: { type: 'reconcile' } }))
            }
          >
            Preview reconcile
          </button>
        </div>
      ) : null}
      <ErrorNotice error={lastError} testId="session-error" />
      <div className="columns">
        <Navigator session={session} header={header} selectedId={selected?.assetId} onSelect={setSelected} />
        <div className="column">
          <AssetDetailsPanel session={session} revision={header.revision} assetId={selected?.assetId} />
          <MutationPreview session={session} selectedPath={selected?.path} requested={requested} />
        </div>
        <div className="column">
          <DiagnosticsView session={session} revision={header.revision} />
          <ActivityView session={session} activity={activity} />
        </div>
      </div>
    </main>
  );
}
