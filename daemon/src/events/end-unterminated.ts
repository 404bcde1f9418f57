import { interruptedBuildError, type BuildRecovery, type Workspace } from '@packer/core';
import { asTypedEvent } from '@packer/core/contract/runtime';
import { DiagnosticCodes, type OperationKind, type RecoveredApplyResult } from '@packer/core/contract';
import type { EventLog } from './event-log.js';

/**
 * A stopped daemon's operations still end with a terminal event, appended at the next start, saying where recovery
 * left each one. A mutation that had passed its commit point (recovery rolled it forward and audited it as applied)
 * ends `completed`, as an apply that fails after its commit point does: its changes are in place, so anything that
 * reads the log (Studio, `packer top`, scripts) must not see a failure and retry it. Its result says so
 * (`recovered: true`) with an AFTER_COMMIT_FAILED warning. One rolled back ends `failed`, and so does a build (it has
 * no commit point: the error says which packs it replaced). Returns the ids it ended.
 */
export function endUnterminated(log: EventLog, workspace: Workspace, builds: BuildRecovery): string[] {
  const unterminated = log.findUnterminated();
  if (unterminated.length === 0) return [];
  const kinds = new Map<string, OperationKind>();
  const sequences = new Map<string, number>();
  const started = new Set<string>();
  let after = log.oldestSeq - 1;
  for (;;) {
    const page = log.readSince(Math.max(0, after), { limit: 1000 });
    if ('expired' in page || page.events.length === 0) break;
    for (const envelope of page.events) {
      const event = asTypedEvent(envelope);
      if (!event.operationId) continue;
      if (event.type === 'queued' || event.type === 'started') kinds.set(event.operationId, event.payload.kind);
      if (event.type === 'started') started.add(event.operationId);
      sequences.set(event.operationId, Math.max(sequences.get(event.operationId) ?? 0, event.sequence ?? 0));
    }
    after = Number(page.events[page.events.length - 1]!.cursor.split('.')[1]);
  }
  for (const operationId of unterminated) {
    // The log tracks an operation by its queued or started event, which carries the kind; `build` only keeps this
    // total.
    const kind = kinds.get(operationId) ?? 'build';
    const sequence = (sequences.get(operationId) ?? 0) + 1;
    // A build changes packs, not the registry: say which packs it replaced, as recovery found them.
    if (kind === 'build') {
      const error = interruptedBuildError(operationId, started.has(operationId), builds);
      log.append({ type: 'failed', operationId, sequence, payload: { kind, error: { code: 'INTERNAL', ...error } } });
      continue;
    }
    // Committed before the stop: the commit audited it as applied, or recovery did when it rolled it forward.
    const applied = workspace.audit.list({ operationId }).find((record) => record.result === 'applied');
    if (applied) {
      const result: RecoveredApplyResult = {
        operationId,
        recovered: true,
        revisionBefore: applied.revisionBefore,
        revisionAfter: applied.revisionAfter,
        ...(applied.changes ? { changes: applied.changes } : {}),
        warnings: [
          {
            code: 'AFTER_COMMIT_FAILED',
            severity: DiagnosticCodes.AFTER_COMMIT_FAILED,
            message: `Operation ${operationId} was committed, but the daemon stopped before reporting it: recovery at the next start finished it, so its changes are in place.`,
            hint: 'Do not apply it again. Run `packer check` to see the current state.',
          },
        ],
      };
      log.append({
        type: 'completed',
        operationId,
        sequence,
        payload: { kind, revisionAfter: result.revisionAfter, result },
      });
      continue;
    }
    log.append({
      type: 'failed',
      operationId,
      sequence,
      payload: {
        kind,
        error: {
          code: 'INTERNAL',
          message: 'The daemon stopped before this operation committed; recovery rolled it back, so nothing changed.',
          data: { recovered: 'before' },
        },
      },
    });
  }
  return unterminated;
}
