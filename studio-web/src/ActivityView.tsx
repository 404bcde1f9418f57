import { useState } from 'react';
import {
  buildOutcome,
  isFinished,
  type ActivityFeed,
  type ActivityRow,
  type StudioSession,
} from '@packer/studio-adapter/browser';
import { ErrorNotice } from './ErrorNotice.js';

export interface ActivityViewProps {
  session: StudioSession;
  activity: ActivityFeed;
}

/**
 * The activity feed: one row per operation, newest first, with the packer's progress while it runs and its
 * terminal outcome once the terminal event arrived (never before).
 */
export function ActivityView({ session, activity }: ActivityViewProps) {
  const [error, setError] = useState<unknown>();
  const [starting, setStarting] = useState(false);
  const build = async () => {
    setStarting(true);
    try {
      await session.startBuild();
      setError(undefined);
    } catch (failure) {
      setError(failure);
    } finally {
      setStarting(false);
    }
  };
  return (
    <section className="panel activity" data-testid="activity">
      <h2>
        Activity{' '}
        <button type="button" data-testid="build" disabled={starting} onClick={() => void build()}>
          Build all packs
        </button>
      </h2>
      <ErrorNotice error={error} testId="build-error" />
      <ul>
        {[...activity.rows].reverse().map((row) => (
          <ActivityItem
            key={row.operationId}
            row={row}
            onCancel={() => void session.cancel(row.operationId).catch(setError)}
          />
        ))}
      </ul>
    </section>
  );
}

function ActivityItem({ row, onCancel }: { row: ActivityRow; onCancel(): void }) {
  const report = buildOutcome(row);
  return (
    <li
      className={`activity-row status-${row.status}`}
      data-testid="activity-row"
      data-operation-id={row.operationId}
      data-kind={row.kind ?? ''}
      data-status={row.status}
    >
      <div>
        <span className={`badge status-badge status-${row.status}`} data-testid="activity-status">
          {row.status}
        </span>{' '}
        <strong>{row.kind ?? 'operation'}</strong> {row.summary ?? row.operationId}
        {!isFinished(row) ? (
          <button type="button" className="small" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
      {row.progress ? (
        <div className="progress" data-testid="activity-progress">
          {row.progress.total !== undefined ? <progress max={row.progress.total} value={row.progress.done} /> : null}{' '}
          <span data-testid="progress-text">
            {row.progress.done}
            {row.progress.total !== undefined ? ` / ${row.progress.total}` : ''}
          </span>
          {row.progress.current ? <span className="muted"> {row.progress.current}</span> : null}
        </div>
      ) : null}
      {row.outcome?.type === 'completed' ? <div className="muted">revision {row.outcome.revisionAfter}</div> : null}
      {row.outcome?.type === 'failed' ? <ErrorNotice error={row.outcome.error} testId="activity-failure" /> : null}
      {row.outcome?.type === 'cancelled' ? <div className="muted">cancelled: {row.outcome.reason}</div> : null}
      {report ? (
        <table className="packs" data-testid="build-packs">
          <tbody>
            {report.packs.map((pack) => (
              <tr key={pack.pack} data-testid="pack-row" data-pack={pack.pack}>
                <td>{pack.pack}</td>
                <td>{pack.status}</td>
                <td className="digest" data-testid="pack-digest">
                  {pack.digest ?? '—'}
                </td>
                <td>{pack.entries} entries</td>
                <td>{pack.bytes.toLocaleString('en')} bytes</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </li>
  );
}
