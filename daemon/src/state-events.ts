import type { DivergenceEntry, EventEnvelope, EventPayload, StateEventType } from '@packer/core/contract';
import type { SnapshotState } from '@packer/core';

/** Appends a state event (no operation) to the log; the payload is the type's row of `EventPayloads`. */
export type EmitState = <T extends StateEventType>(type: T, payload: EventPayload<T>) => EventEnvelope;

function key(entry: DivergenceEntry): string {
  return entry.type === 'moved'
    ? `moved:${entry.assetId}:${entry.to}`
    : entry.type === 'missing'
      ? `missing:${entry.assetId}`
      : `untracked:${entry.path}`;
}

/**
 * Publishes what changed between two states: `snapshot.changed`, then `divergence.detected` for entries that
 * appeared and `divergence.resolved` for entries that went away. Derived from the two snapshots, never from
 * watcher events, so the packer's own changes never read as divergence.
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
  const before = new Map((previous?.snapshot.divergence ?? []).map((entry) => [key(entry), entry]));
  const after = new Map(next.snapshot.divergence.map((entry) => [key(entry), entry]));
  const added = [...after].filter(([k]) => !before.has(k)).map(([, entry]) => entry);
  const resolved = [...before].filter(([k]) => !after.has(k)).map(([, entry]) => entry);
  if (added.length > 0)
    emit('divergence.detected', { revision, count: next.snapshot.divergence.length, added: added.slice(0, 1000) });
  if (resolved.length > 0)
    emit('divergence.resolved', {
      revision,
      count: next.snapshot.divergence.length,
      resolved: resolved.slice(0, 1000),
    });
}
