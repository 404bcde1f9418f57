import type { Diagnostic, EventEnvelope, RemoteCacheStats } from '@packer/core/contract';
import { formatBytes, plural } from '../render/format.js';
import {
  foldOperation,
  initialOperation,
  isOperationFinished,
  type OperationOutcome,
  type OperationState,
} from '@packer/core/contract/runtime';

/** What the progress view shows of one operation: the shared fold's state, laid out for the terminal. */
export interface OperationViewState {
  operationId: string;
  kind?: string;
  summary?: string;
  /** `running` until a terminal event arrives: an operation is never shown as done without one. */
  phase: OperationState['status'];
  done: number;
  total?: number;
  bytes?: number;
  current?: string;
  counts: Record<string, number>;
  /** A build's remote cache use so far, when one is configured. */
  remote?: RemoteCacheStats;
  /** Items per second, from the progress events' own timestamps. */
  rate?: number;
  warnings: Diagnostic[];
  /** The terminal event's message, as the packer worded it. */
  finalMessage?: string;
  /** The terminal event's payload. */
  terminalPayload?: unknown;
  startedAtMs?: number;
  lastProgressAtMs?: number;
  /** How many progress events were received (coalescing makes this lower than `done`). */
  progressEvents: number;
  /** The folded operation this view was laid out from. */
  operation: OperationState;
}

export function initialOperationState(operationId: string): OperationViewState {
  return viewOf(initialOperation(operationId));
}

/** Folds one event of the operation into the view state. Events of other operations are ignored. */
export function reduceOperationEvent(state: OperationViewState, event: EventEnvelope): OperationViewState {
  const operation = foldOperation(state.operation, event);
  return operation === state.operation ? state : viewOf(operation);
}

export function isTerminal(state: OperationViewState): boolean {
  return isOperationFinished(state.operation);
}

function viewOf(operation: OperationState): OperationViewState {
  const { progress, outcome } = operation;
  const view: OperationViewState = {
    operationId: operation.operationId,
    phase: operation.status,
    done: progress?.done ?? 0,
    counts: progress?.counts ?? {},
    warnings: [...operation.warnings],
    progressEvents: operation.progressEvents,
    operation,
  };
  if (operation.kind !== undefined) view.kind = operation.kind;
  if (operation.summary !== undefined) view.summary = operation.summary;
  if (progress?.total !== undefined) view.total = progress.total;
  if (progress?.bytes !== undefined) view.bytes = progress.bytes;
  if (progress?.current !== undefined) view.current = progress.current;
  if (progress?.remote !== undefined) view.remote = progress.remote;
  if (operation.startedAt !== undefined) view.startedAtMs = Date.parse(operation.startedAt);
  if (operation.lastProgressAt !== undefined) view.lastProgressAtMs = Date.parse(operation.lastProgressAt);
  if (
    view.startedAtMs !== undefined &&
    view.lastProgressAtMs !== undefined &&
    view.lastProgressAtMs > view.startedAtMs
  ) {
    view.rate = view.done / ((view.lastProgressAtMs - view.startedAtMs) / 1000);
  }
  if (outcome) {
    view.finalMessage = finalMessage(outcome);
    const { type: _type, ...payload } = outcome;
    view.terminalPayload = payload;
  }
  return view;
}

function finalMessage(outcome: OperationOutcome): string {
  switch (outcome.type) {
    case 'completed':
      return `completed (revision ${outcome.revisionAfter})`;
    case 'failed': {
      const { error } = outcome;
      // A blocked build's blockers were shown as they happened and are listed again in its report: count them here.
      if (error.code === 'BLOCKED' && error.data.blockers.length > 0)
        return `failed: BLOCKED (${plural(error.data.blockers.length, 'blocker')})`;
      return `failed: ${error.code}: ${error.message}`;
    }
    case 'cancelled':
      return `cancelled: ${outcome.reason}`;
  }
}

/** One line for a build's remote cache use: `remote http://cache/x: 40 hits · 5 misses · 3 uploads · 1.2 MB down · 300 KB up`. */
export function remoteLine(remote: RemoteCacheStats): string {
  const parts = [
    `${remote.hits} hits`,
    `${remote.misses} misses`,
    `${remote.uploads} uploads`,
    `${formatBytes(remote.bytesDown)} down`,
    `${formatBytes(remote.bytesUp)} up`,
  ];
  if (remote.errors > 0) parts.push(`${remote.errors} errors`);
  return `remote ${remote.url}${remote.mode === 'read-only' ? ' (read-only)' : ''}${remote.state === 'ok' ? '' : ` [${remote.state}]`}: ${parts.join(' · ')}`;
}
