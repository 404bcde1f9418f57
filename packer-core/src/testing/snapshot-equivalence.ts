import type { SnapshotState } from '../snapshot/snapshot-state.js';
import type { Workspace } from '../workspace/workspace.js';
import type { WorkspaceObserver } from '../workspace/workspace-observer.js';

/**
 * What a reader sees, as canonical JSON: every list in its order, the summary, and the planning indexes' keys
 * (with `files`, the observed files too). Two states that print the same are the same to every reader.
 */
export function canonicalState(state: SnapshotState, { files = false }: { files?: boolean } = {}): string {
  const { snapshot } = state;
  return JSON.stringify(
    {
      assets: snapshot.assets,
      untracked: snapshot.untracked,
      divergence: snapshot.divergence,
      diagnostics: snapshot.diagnostics,
      summary: snapshot.summary,
      byId: [...state.byId.keys()],
      byPath: [...state.byPath].map(([key, view]) => [key, view.id]),
      untrackedByPath: [...state.untrackedByPath.keys()],
      ...(files
        ? { files: [...state.files].map(([key, stat]) => [key, stat.size, stat.sidecarOfFolder ?? null]) }
        : {}),
    },
    null,
    1,
  );
}

/** The workspace's observer, for deriving its state from scratch to compare with the incremental one. */
export function observerOf(workspace: Workspace): WorkspaceObserver {
  return (workspace as unknown as { observer: WorkspaceObserver }).observer;
}
