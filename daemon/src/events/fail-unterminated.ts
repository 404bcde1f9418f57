import { interruptedBuildError, type BuildRecovery, type Workspace } from '@packer/core';
import { asTypedEvent } from '@packer/core/contract/runtime';
import type { OperationKind } from '@packer/core/contract';
import type { EventLog } from './event-log.js';

/**
 * A crashed daemon's operations still end with a terminal event: `failed`, appended at the next start, saying
 * where recovery left each one (a mutation rolled back or forward, which packs a build replaced). Returns the
 * ids it ended.
 */
export function failUnterminated(log: EventLog, workspace: Workspace, builds: BuildRecovery): string[] {
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
    // Recovery rolled a committed journal forward (and audited it as applied) or rolled it back: say which,
    // so a client does not retry a move that happened.
    const applied = workspace.audit.list({ operationId }).some((record) => record.result === 'applied');
    // The log tracks an operation by its queued or started event, which carries the kind; `build` only keeps this
    // total.
    const kind = kinds.get(operationId) ?? 'build';
    // A build changes packs, not the registry: say which packs it replaced, as recovery found them.
    const build = kind === 'build' ? interruptedBuildError(operationId, started.has(operationId), builds) : undefined;
    log.append({
      type: 'failed',
      operationId,
      sequence: (sequences.get(operationId) ?? 0) + 1,
      payload: {
        kind,
        error: build
          ? { code: 'INTERNAL', ...build }
          : {
              code: 'INTERNAL',
              message: applied
                ? 'The daemon stopped after this operation committed; recovery finished it, so its changes are in place.'
                : 'The daemon stopped before this operation committed; recovery rolled it back, so nothing changed.',
              data: { recovered: applied ? 'after' : 'before' },
            },
      },
    });
  }
  return unterminated;
}
