import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@packer/core/contract';
import { initialOperationState, reduceOperationEvent } from './operation-state.js';
import { PlainProgress } from './plain-progress.js';
import buildFailed from './recorded-events/build-failed.json' with { type: 'json' };
import completed from './recorded-events/completed.json' with { type: 'json' };

/** Feeds a recording to PlainProgress, the clock advancing `stepMs` per event; returns the lines it wrote. */
function playPlain(events: readonly EventEnvelope[], stepMs: number, intervalMs = 1000): string[] {
  const lines: string[] = [];
  const plain = new PlainProgress((line) => lines.push(line), intervalMs);
  let state = initialOperationState(events[0]!.operationId!);
  let now = 1_000_000;
  plain.update(state, now);
  for (const event of events) {
    state = reduceOperationEvent(state, event);
    now += stepMs;
    plain.update(state, now);
  }
  return lines;
}

describe('PlainProgress', () => {
  it('writes the lifecycle, at most one progress line per interval, and the final line', () => {
    // 103 events 10 ms apart: about one second, so one progress line (the first) besides the lifecycle lines.
    const lines = playPlain(completed as EventEnvelope[], 10);
    expect(lines[0]).toBe('queued: rescan test operation (100 progress events)');
    expect(lines[1]).toBe('started: rescan');
    const progress = lines.filter((line) => line.startsWith('progress: '));
    expect(progress[0]).toBe('progress: 1/100 item-1');
    expect(progress.length).toBeLessThanOrEqual(2);
    expect(lines.at(-1)).toBe('completed (revision 1)');
  });

  it('writes one progress line per event when events are an interval apart', () => {
    const lines = playPlain(completed as EventEnvelope[], 1000);
    expect(lines.filter((line) => line.startsWith('progress: '))).toHaveLength(100);
    expect(lines).toContain('progress: 50/100 item-50');
  });

  it('writes each warning once, as it arrives, with counts on progress lines', () => {
    const lines = playPlain(buildFailed as EventEnvelope[], 1000);
    expect(lines).toEqual([
      'queued: build build sprites, ui',
      'started: build',
      'progress: 4/24 (processed 3, cached 1, failed 0) assets/sprites/characters/hero.png',
      'warning: CASE_COLLISION assets/sprites/ui/Button.png and assets/sprites/ui/button.png differ only by letter case.',
      'progress: 9/24 (processed 6, cached 3, failed 0) assets/sprites/enemies/bat.png',
      'warning: EMPTY_PACK Pack ui selects no assets.',
      'progress: 12/24 (processed 8, cached 3, failed 1) assets/sprites/tiles/tileset.png',
      'failed: BLOCKED (1 blocker)',
    ]);
  });

  it('never writes an escape code or a carriage return', () => {
    const lines = [
      ...playPlain(completed as EventEnvelope[], 1000),
      ...playPlain(buildFailed as EventEnvelope[], 1000),
    ];
    for (const line of lines) {
      expect(line).not.toMatch(/[\u001B\u009B\r]/);
      expect(line).not.toContain('\n');
    }
  });
});
