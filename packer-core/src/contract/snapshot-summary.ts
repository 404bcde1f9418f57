import type { Snapshot } from './snapshot-schema.js';

/**
 * What `snapshot.summary` answers, as a type (zod-free, so browser clients need not load the schemas): counts and
 * state only, never a list that grows with the project (`summary.divergence` counts the divergence entries).
 */
export type SnapshotSummaryAnswer = Pick<
  Snapshot,
  'revision' | 'projectName' | 'registryState' | 'summary' | 'lastBuilds'
>;

/** The `snapshot.summary` answer for a snapshot: one definition for the daemon and any client holding a snapshot. */
export function summaryOfSnapshot(snapshot: Snapshot): SnapshotSummaryAnswer {
  return {
    revision: snapshot.revision,
    projectName: snapshot.projectName,
    registryState: snapshot.registryState,
    summary: snapshot.summary,
    lastBuilds: snapshot.lastBuilds,
  };
}
