import type { Diagnostic } from '../contract/diagnostics.js';
import type { SnapshotState } from '../snapshot/snapshot-state.js';
import { planBuild } from './plan-build.js';
import { subjectsOf } from '../contract/diagnostic-subjects.js';

const preflights = new WeakMap<SnapshotState, readonly Diagnostic[]>();

/**
 * The snapshot's diagnostics plus every blocker and warning a build of all packs would hit at this revision
 * (the build plan, computed without writing anything): what `packer check` reports, so that "check passes"
 * means "a build will not be blocked". A plan finding that is the snapshot's own (a missing file) is listed
 * once. Computed once per snapshot state.
 */
export function preflightDiagnostics(state: SnapshotState): readonly Diagnostic[] {
  let out = preflights.get(state);
  if (!out) {
    const plan = planBuild(state);
    const known = new Set(state.snapshot.diagnostics.map(findingKey));
    out = Object.freeze([
      ...state.snapshot.diagnostics,
      ...[...plan.blockers, ...plan.warnings].filter((item) => !known.has(findingKey(item))),
    ]);
    preflights.set(state, out);
  }
  return out;
}

/** Two findings are one when code, message and subjects agree (snapshot and plan both name a disallowed processor). */
function findingKey(item: Diagnostic): string {
  return JSON.stringify([item.code, item.message, subjectsOf(item)]);
}
