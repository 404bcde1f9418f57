import type { DivergenceEntry, EventEnvelope, EventPayload, StateEventType } from '@packer/core/contract';
import { divergenceChanges, firstDivergence, type SnapshotState } from '@packer/core';

/** Appends a state event (no operation) to the log; the payload is the type's row of `EventPayloads`. */
export type EmitState = <T extends StateEventType>(type: T, payload: EventPayload<T>) => EventEnvelope;

/** Entries listed per event at most; `count` says how many the snapshot holds. */
const LISTED = 1000;

/**
 * Publishes what changed between two states: `snapshot.changed`, then `divergence.detected` for entries that
 * appeared and `divergence.resolved` for entries that went away. Derived from the two snapshots, never from
 * watcher events, so the packer's own changes never read as divergence. The comparison costs what changed
 * (`divergenceChanges`), not a diff of both divergence lists: a one-asset commit beside 100,000 untracked files
 * compared 200,000 entries before.
 */
export function publishStateChange(
  emit: EmitState,
  previous: SnapshotState | undefined,
  next: SnapshotState,
  cause: string,
): void {
  if (previous && previous.snapshot.revision === next.snapshot.revision) return;
  const revision = next.snapshot.revision;
  emit('snapshot.changed', { revision, previousRevision: previous?.snapshot.revision ?? 0, cause });
  const { added, resolved } = previous
    ? divergenceChanges(previous, next, LISTED)
    : { added: firstDivergence(next, LISTED), resolved: [] as DivergenceEntry[] };
  const count = next.snapshot.summary.divergence;
  if (added.length > 0) emit('divergence.detected', { revision, count, added });
  if (resolved.length > 0) emit('divergence.resolved', { revision, count, resolved });
}
