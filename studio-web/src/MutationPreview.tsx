import { useEffect, useState } from 'react';
import { mutationPreviewPanel, type MethodResult, type MutationInput, type Plan, type StudioSession } from '@packer/studio-adapter/browser';
import { ErrorNotice } from './ErrorNotice.js';

export interface MutationPreviewProps {
  session: StudioSession;
  /** The selected asset's path, offered as the source of a move. */
  selectedPath: string | undefined;
  /** A preview asked for elsewhere (the divergence banner's reconcile); a new `id` asks again. */
  requested: { id: number; mutation: MutationInput } | undefined;
}

/**
 * A move or rename typed here (or a reconcile asked for by the banner): the packer's plan as it planned it, and
 * an Apply that sends the plan's own revision, so a changed project is refused with the packer's CONFLICT.
 */
export function MutationPreview({ session, selectedPath, requested }: MutationPreviewProps) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [plan, setPlan] = useState<Plan>();
  const [applied, setApplied] = useState<MethodResult<'mutation.apply'>>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (selectedPath) setFrom(selectedPath);
  }, [selectedPath]);

  const preview = async (mutation: MutationInput) => {
    setBusy(true);
    setApplied(undefined);
    try {
      setPlan(await session.previewMutation(mutation));
      setError(undefined);
    } catch (failure) {
      setPlan(undefined);
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    if (requested) void preview(requested.mutation);
  }, [requested?.id]);

  const apply = async () => {
    if (!plan) return;
    setBusy(true);
    try {
      setApplied(await session.applyPreview(plan));
      setPlan(undefined);
      setError(undefined);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const panel = plan ? mutationPreviewPanel(plan) : undefined;
  return (
    <section className="panel preview" data-testid="mutation-preview">
      <h2>Move or rename</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void preview({ type: 'move', from, to });
        }}
      >
        <input data-testid="move-from" value={from} onChange={(event) => setFrom(event.target.value)} placeholder="from (path or id)" />
        <input data-testid="move-to" value={to} onChange={(event) => setTo(event.target.value)} placeholder="to (new path)" />
        <button type="submit" data-testid="preview-move" disabled={busy || !from || !to}>
          Preview
        </button>
      </form>
      <ErrorNotice error={error} testId="preview-error" />
      {panel ? (
        <div className="plan" data-testid="plan">
          <div>
            <strong>{panel.mutation.type}</strong> planned at revision <span data-testid="plan-revision">{panel.baseRevision}</span>
            {panel.blocked ? <span className="badge badge-blocker">blocked</span> : null}
          </div>
          {[...panel.blockers, ...panel.warnings].map((row) => (
            <div key={row.key} className={`sev-${row.severity}`}>
              {row.code}: {row.message}
            </div>
          ))}
          <table>
            <tbody>
              {panel.registryRows.map((row) => (
                <tr key={row.key} data-testid="plan-registry-row">
                  <td>registry {row.op}</td>
                  <td>{row.assetId}</td>
                  <td>
                    {row.previousPath ? `${row.previousPath} → ` : ''}
                    {row.path}
                  </td>
                </tr>
              ))}
              {panel.filesystemRows.map((row) => (
                <tr key={row.key} data-testid="plan-filesystem-row">
                  <td>file {row.op}</td>
                  <td />
                  <td>
                    {row.path}
                    {row.to ? ` → ${row.to}` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" data-testid="apply-plan" disabled={busy || panel.blocked} onClick={() => void apply()}>
            Apply at revision {panel.baseRevision}
          </button>
        </div>
      ) : null}
      {applied ? (
        <div className="applied" data-testid="applied">
          Applied: {applied.operationId}, revision {applied.revisionAfter}
        </div>
      ) : null}
    </section>
  );
}
