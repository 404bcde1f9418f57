import type { EventEnvelope } from '@packer/core/contract';
import type { StudioSession } from '../../src/index.js';

/** Resolves once `predicate` holds, re-checking on every session change; rejects with `what` after the timeout. */
export function until(
  session: StudioSession,
  predicate: () => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const offs: (() => void)[] = [];
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      for (const off of offs) off();
      if (error) reject(error);
      else resolve();
    };
    const check = (): void => {
      if (predicate()) finish();
    };
    const timer = setTimeout(
      () => finish(new Error(`timed out waiting for ${what} (state ${session.state}, revision ${session.revision})`)),
      timeoutMs,
    );
    offs.push(
      session.on('state', check),
      session.on('snapshot', check),
      session.on('event', check),
      session.on('activity', check),
    );
  });
}

/** Records every event a session delivers. */
export function recordEvents(session: StudioSession): EventEnvelope[] {
  const events: EventEnvelope[] = [];
  session.on('event', (event) => events.push(event));
  return events;
}

export const TERMINAL = ['completed', 'failed', 'cancelled'];
