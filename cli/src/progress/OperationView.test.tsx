import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@packer/core/contract';
import { initialOperationState, reduceOperationEvent, type OperationViewState } from './operation-state.js';
import { OperationView } from './OperationView.js';
import buildFailed from './recorded-events/build-failed.json' with { type: 'json' };
import cancelled from './recorded-events/cancelled.json' with { type: 'json' };
import coalesced from './recorded-events/coalesced.json' with { type: 'json' };
import completed from './recorded-events/completed.json' with { type: 'json' };
import failed from './recorded-events/failed.json' with { type: 'json' };

const ANSI = /\u001B\[[0-9;]*m/g;

/** Renders the view, then re-renders it after each recorded event; returns every frame as plain text. */
function play(events: readonly EventEnvelope[]): { frames: string[]; state: OperationViewState } {
  let state = initialOperationState(events[0]!.operationId!);
  const view = render(<OperationView state={state} />);
  const frames = [(view.lastFrame() ?? '').replace(ANSI, '')];
  for (const event of events) {
    state = reduceOperationEvent(state, event);
    view.rerender(<OperationView state={state} />);
    frames.push((view.lastFrame() ?? '').replace(ANSI, ''));
  }
  view.unmount();
  return { frames, state };
}

/** The lifecycle word each frame leads with, consecutive repeats collapsed. */
function phases(frames: readonly string[]): string[] {
  return frames.map((frame) => frame.split(/\s/)[0]!).filter((phase, index, all) => phase !== all[index - 1]);
}

/** A frame's text with ink's line wrapping (the test terminal is 100 columns wide) undone. */
const unwrapped = (frame: string | undefined) => (frame ?? '').replace(/\s+/g, ' ');

const bar = (filled: number, width = 30) => `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;

describe('OperationView', () => {
  it("shows a recorded operation's lifecycle, bar, counts, current item and final line", () => {
    const { frames } = play(completed as EventEnvelope[]);
    expect(phases(frames)).toEqual(['waiting', 'queued', 'running', 'completed']);
    expect(frames[1]).toContain('queued    rescan — test operation (100 progress events)');
    // Queued: no bar yet.
    expect(frames[1]).not.toContain('[');
    // After `started` and 50 progress events.
    const halfway = frames[52]!;
    expect(halfway).toContain('running   rescan');
    expect(halfway).toContain(`${bar(15)} 50% 50/100`);
    expect(halfway).toContain('  item-50');
    const last = frames.at(-1)!;
    expect(last.split('\n')[0]).toContain('completed rescan');
    expect(last).toContain(`${bar(30)} 100% 100/100`);
    expect(last.split('\n').at(-1)).toBe('completed (revision 1)');
    // The current item belongs to a running operation only.
    expect(last).not.toContain('item-100');
  });

  it('shows an operation without a terminal event as running, never completed', () => {
    const { frames } = play((completed as EventEnvelope[]).slice(0, -1));
    const last = frames.at(-1)!;
    expect(last).toContain('running');
    expect(last).toContain(`${bar(30)} 100% 100/100`);
    for (const frame of frames) expect(frame).not.toContain('completed');
  });

  it('jumps with coalesced progress from 10/100 to 90/100', () => {
    const { frames } = play(coalesced as EventEnvelope[]);
    const progressFrames = frames.filter((frame) => frame.includes('/100'));
    const counts = progressFrames.map((frame) => Number(/ (\d+)\/100/.exec(frame)![1]));
    const jump = counts.indexOf(10);
    expect(counts[jump + 1]).toBe(90);
    expect(progressFrames[jump]).toContain(`${bar(3)} 10%`);
    expect(progressFrames[jump + 1]).toContain(`${bar(27)} 90%`);
    expect(progressFrames[jump + 1]).toContain('item-90');
    expect(frames.at(-1)!.split('\n').at(-1)).toBe('completed (revision 1)');
  });

  it('ends a failed operation with the error code and message, never as completed', () => {
    const { frames } = play(failed as EventEnvelope[]);
    expect(phases(frames)).toEqual(['waiting', 'queued', 'running', 'failed']);
    const last = frames.at(-1)!;
    expect(last).toContain('failed    update — update assets/sprites/ui/button.png');
    expect(last.split('\n').at(-1)).toBe(
      'failed: CONFLICT: The snapshot moved from revision 0 to 1 since the preview.',
    );
    for (const frame of frames) expect(frame).not.toContain('completed');
  });

  it('ends a cancelled operation with the reason, keeping the progress it reached', () => {
    const { frames } = play(cancelled as EventEnvelope[]);
    expect(phases(frames)).toEqual(['waiting', 'queued', 'running', 'cancelled']);
    const last = frames.at(-1)!;
    expect(last).toContain(`${bar(30)} 100% 5/5`);
    expect(last).not.toContain('item-5');
    expect(last.split('\n').at(-1)).toBe('cancelled: test operation cancelled');
  });

  it('shows counts, rate and warnings as they arrive, then the failure', () => {
    const { frames } = play(buildFailed as EventEnvelope[]);
    const [, , , first, second, third, last] = frames;
    expect(first).toContain(`${bar(5)} 17% 4/24 · 16/s · processed 3 · cached 1 · failed 0`);
    expect(first).toContain('  assets/sprites/characters/hero.png');
    expect(first).not.toContain('!');
    expect(unwrapped(second)).toContain(
      '! CASE_COLLISION assets/sprites/ui/Button.png and assets/sprites/ui/button.png differ only by letter case.',
    );
    expect(second).not.toContain('EMPTY_PACK');
    expect(third).toContain('processed 8 · cached 3 · failed 1');
    expect(third).toContain('! CASE_COLLISION');
    expect(third).toContain('! EMPTY_PACK Pack ui selects no assets.');
    expect(last!.split('\n')[0]).toContain('failed    build — build sprites, ui');
    expect(last).toContain('! EMPTY_PACK');
    expect(last!.split('\n').at(-1)).toBe('failed: BLOCKED (1 blocker)');
  });
});
