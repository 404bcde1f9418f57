import type { Diagnostic, EventEnvelope } from '@packer/core/contract';

/** What the progress view shows of one operation: a translation of its events, nothing inferred. */
export interface OperationViewState {
  operationId: string;
  kind?: string;
  summary?: string;
  /** `running` until a terminal event arrives: an operation is never shown as done without one. */
  phase: 'waiting' | 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  done: number;
  total?: number;
  bytes?: number;
  current?: string;
  counts: Record<string, number>;
  /** Items per second, from the progress events' own timestamps. */
  rate?: number;
  warnings: Diagnostic[];
  /** The terminal event's message, as the packer worded it. */
  finalMessage?: string;
  terminalPayload?: unknown;
  startedAtMs?: number;
  lastProgressAtMs?: number;
  /** How many progress events were received (coalescing makes this lower than `done`). */
  progressEvents: number;
}

export function initialOperationState(operationId: string): OperationViewState {
  return { operationId, phase: 'waiting', done: 0, counts: {}, warnings: [], progressEvents: 0 };
}

/** Folds one event of the operation into the view state. Events of other operations are ignored. */
export function reduceOperationEvent(state: OperationViewState, event: EventEnvelope): OperationViewState {
  if (event.operationId !== state.operationId) return state;
  const payload = (event.payload ?? {}) as Record<string, unknown>;
  const at = Date.parse(event.time);
  switch (event.type) {
    case 'queued':
      return { ...state, phase: state.phase === 'waiting' ? 'queued' : state.phase, kind: String(payload.kind), summary: String(payload.summary ?? '') };
    case 'started':
      return { ...state, phase: 'running', kind: String(payload.kind ?? state.kind), startedAtMs: at };
    case 'progress': {
      const done = Number(payload.done ?? state.done);
      const elapsed = state.startedAtMs !== undefined ? (at - state.startedAtMs) / 1000 : undefined;
      const next: OperationViewState = {
        ...state,
        phase: state.phase === 'queued' || state.phase === 'waiting' ? 'running' : state.phase,
        done,
        counts: (payload.counts as Record<string, number> | undefined) ?? state.counts,
        // Cumulative in each event (see the contract), so the latest list replaces the previous one.
        warnings: (payload.warnings as Diagnostic[] | undefined) ?? state.warnings,
        lastProgressAtMs: at,
        progressEvents: state.progressEvents + 1,
      };
      if (payload.total !== undefined) next.total = Number(payload.total);
      if (payload.bytes !== undefined) next.bytes = Number(payload.bytes);
      if (payload.current !== undefined) next.current = String(payload.current);
      if (elapsed !== undefined && elapsed > 0) next.rate = done / elapsed;
      return next;
    }
    case 'completed':
      return { ...state, phase: 'completed', finalMessage: `completed (revision ${String(payload.revisionAfter)})`, terminalPayload: payload };
    case 'failed': {
      const error = (payload.error ?? {}) as { code?: string; message?: string };
      return { ...state, phase: 'failed', finalMessage: `failed: ${error.code ?? 'ERROR'}: ${error.message ?? ''}`, terminalPayload: payload };
    }
    case 'cancelled':
      return { ...state, phase: 'cancelled', finalMessage: `cancelled: ${String(payload.reason ?? '')}`, terminalPayload: payload };
    default:
      return state;
  }
}

export function isTerminal(state: OperationViewState): boolean {
  return state.phase === 'completed' || state.phase === 'failed' || state.phase === 'cancelled';
}
