import { useEffect, useState } from 'react';
import { diagnosticsPanel, type DiagnosticsPanel, type StudioSession } from '@packer/studio-adapter/browser';
import { ErrorNotice } from './ErrorNotice.js';

export interface DiagnosticsViewProps {
  session: StudioSession;
  revision: number;
}

/** `diagnostics.list`, grouped by the severity the packer gave each, with the packer's counts. */
export function DiagnosticsView({ session, revision }: DiagnosticsViewProps) {
  const [panel, setPanel] = useState<DiagnosticsPanel>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let current = true;
    session.listDiagnostics().then(
      (answer) => current && (setPanel(diagnosticsPanel(answer)), setError(undefined)),
      (failure: unknown) => current && setError(failure),
    );
    return () => {
      current = false;
    };
  }, [session, revision]);
  return (
    <section className="panel diagnostics" data-testid="diagnostics">
      <h2>Diagnostics</h2>
      <ErrorNotice error={error} />
      {panel?.groups.map((group) => (
        <details key={group.severity} open={group.total > 0 && group.severity !== 'info'}>
          <summary className={`sev-${group.severity}`} data-testid={`diagnostics-${group.severity}`}>
            {group.severity}: {group.total}
          </summary>
          <ul>
            {group.rows.map((row) => (
              <li key={row.key} data-testid="diagnostic-row" data-code={row.code}>
                <code>{row.code}</code> {row.path ? <span className="path">{row.path}</span> : null} — {row.message}
                {row.hint ? <div className="muted">{row.hint}</div> : null}
              </li>
            ))}
          </ul>
        </details>
      ))}
    </section>
  );
}
