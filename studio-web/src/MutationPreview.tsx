import { useEffect, useState } from 'react';
import {
  mutationPreviewPanel,
  withPlanPage,
  type MethodResult,
  type MutationInput,
  type MutationPreviewPanel,
  type PlanList,
  type PlanSummary,
  type StudioSession,
} from '@packer/studio-adapter/browser';
import { ErrorNotice } from './ErrorNotice.js';

export interface MutationPreviewProps {
  session: StudioSession;
  /** The selected asset's path, offered as the source of a move. */
  selectedPath: string | undefined;
  /** A preview asked for elsewhere (the divergence banner's reconcile); a new `id` asks again. */
  requested: { id: number; mutation: MutationInput } | undefined;
}

/**
 * A move or rename typed here (or a reconcile asked for by the banner): the packer's plan as it planned it (a big
 * one as its summary: counts and the first rows, with "show more" paging the rest from the daemon), and an Apply
 * that sends the plan's id and revision, so a changed project is refused by the packer (PLAN_EXPIRED or CONFLICT).
 */
export function MutationPreview({ session, selectedPath, requested }: MutationPreviewProps) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [plan, setPlan] = useState<PlanSummary>();
  const [panel, setPanel] = useState<MutationPreviewPanel>();
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
      const planned = await session.previewMutation(mutation);
      setPlan(planned);
      setPanel(mutationPreviewPanel(planned));
      setError(undefined);
    } catch (failure) {
      setPlan(undefined);
      setPanel(undefined);
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
      setPanel(undefined);
      setError(undefined);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const showMore = async (list: PlanList) => {
    const page = panel?.lists[list].nextPage;
    if (!panel?.planId || !page) return;
    setBusy(true);
    try {
      const next = await session.planItems({ planId: panel.planId, list, page, limit: 200 });
      setPanel((current) => (current && current.planId === next.planId ? withPlanPage(current, next) : current));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const more = (list: PlanList, label: string) => {
    const state = panel?.lists[list];
    if (!state || state.shown >= state.total) return null;
    return (
      <button type="button" data-testid={`plan-more-${list}`} disabled={busy} onClick={() => void showMore(list)}>
        Show more {label} ({state.shown} of {state.total} shown)
      </button>
    );
  };
  return (
    <section className="panel preview" data-testid="mutation-preview">
      <h2>Move or rename</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void preview({ type: 'move', from, to });
        }}
      >
        <input
          data-testid="move-from"
          value={from}
          onChange={(event) => setFrom(event.target.value)}
          placeholder="from (path or id)"
        />
        <input
          data-testid="move-to"
          value={to}
          onChange={(event) => setTo(event.target.value)}
          placeholder="to (new path)"
        />
        <button type="submit" data-testid="preview-move" disabled={busy || !from || !to}>
          Preview
        </button>
      </form>
      <ErrorNotice error={error} testId="preview-error" />
      {panel ? (
        <div className="plan" data-testid="plan">
          <div>
            <strong>{panel.mutation.type}</strong> planned at revision{' '}
            <span data-testid="plan-revision">{panel.baseRevision}</span>
            {panel.blocked ? <span className="badge badge-blocker">blocked</span> : null}
          </div>
          <div data-testid="plan-counts">
            {panel.lists.registryMutations.total} registry change(s), {panel.lists.filesystemMutations.total} file
            change(s), {panel.lists.blockers.total} blocker(s), {panel.lists.warnings.total} warning(s)
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
          {more('blockers', 'blockers')}
          {more('warnings', 'warnings')}
          {more('registryMutations', 'registry changes')}
          {more('filesystemMutations', 'file changes')}
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
