import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import type { EventEnvelope, MethodResult, OperationInfo } from '@packer/core/contract';
import buildFailed from '../progress/recorded-events/build-failed.json' with { type: 'json' };
import cancelled from '../progress/recorded-events/cancelled.json' with { type: 'json' };
import coalesced from '../progress/recorded-events/coalesced.json' with { type: 'json' };
import completed from '../progress/recorded-events/completed.json' with { type: 'json' };
import failed from '../progress/recorded-events/failed.json' with { type: 'json' };
import { Dashboard, type DashboardProps } from './Dashboard.js';
import { applyOperationEvent } from './operations-from-events.js';

const ANSI = /\u001B\[[0-9;]*m/g;

// As `packer status --json` reported them for a fresh copy of sample-game.
const summary: MethodResult<'snapshot.summary'> = {
  revision: 1,
  projectName: 'sample-game',
  registryState: 'ok',
  summary: {
    assets: 45,
    byKind: { data: 8, image: 24, audio: 6, text: 5, binary: 2 },
    byStatus: { present: 45, missing: 0 },
    untracked: 0,
    missing: 0,
    divergence: 0,
    blockers: 0,
    warnings: 0,
    infos: 0,
    totalBytes: 171513,
  },
  lastBuilds: [],
  divergence: [],
};
const health: MethodResult<'daemon.health'> = {
  live: true,
  ready: true,
  revision: 1,
  laneDepth: 0,
  runningOperation: null,
  watcher: { backend: 'parcel', state: 'ok' },
  uptimeMs: 1182,
  pid: 29531,
  generation: 1,
  connections: 1,
  subscribers: 1,
};

/**
 * Drives the dashboard the way `packer top` does: operation rows from lifecycle events, recent events without
 * progress. Returns the frame after each event.
 */
function play(events: readonly EventEnvelope[], props: Partial<DashboardProps> = {}): string[] {
  const rows = new Map<string, OperationInfo>();
  const recent: EventEnvelope[] = [];
  const element = () => (
    <Dashboard
      projectName="sample-game"
      summary={summary}
      health={health}
      operations={[...rows.values()]}
      recent={recent}
      {...props}
    />
  );
  const view = render(element());
  const frames = [(view.lastFrame() ?? '').replace(ANSI, '')];
  for (const event of events) {
    applyOperationEvent(rows, event);
    if (event.type !== 'progress') recent.push(event);
    view.rerender(element());
    frames.push((view.lastFrame() ?? '').replace(ANSI, ''));
  }
  view.unmount();
  return frames;
}

/** The lines of a frame's "operations" section. */
function operationLines(frame: string): string[] {
  const lines = frame.split('\n');
  return lines.slice(lines.indexOf('operations') + 1, lines.indexOf('recent events'));
}

describe('Dashboard', () => {
  it('shows the project, revision, daemon and diagnostics counts, idle with no operations', () => {
    const [frame] = play([]);
    expect(frame).toContain('packer top — sample-game  revision 1  pid 29531 · lane 0 · watcher ok');
    expect(frame).toContain('assets 45 · missing 0 · untracked 0 · blockers 0 · warnings 0');
    expect(operationLines(frame!)).toEqual(['  idle']);
    expect(frame!.split('\n').at(-1)).toBe('q quits');
  });

  it('follows a recorded operation from queued through running with a bar to completed', () => {
    const frames = play(completed as EventEnvelope[]);
    expect(operationLines(frames[1]!)).toEqual(['  queued   test operation (100 progress events)']);
    const halfway = operationLines(frames[52]!);
    expect(halfway).toHaveLength(1);
    expect(halfway[0]).toContain('running  test operation (100 progress events)');
    expect(halfway[0]).toContain(`[${'█'.repeat(10)}${'░'.repeat(10)}] 50% 50/100`);
    const last = frames.at(-1)!;
    expect(operationLines(last)).toEqual(['  idle', '  completed test operation (100 progress events)']);
    // Recent events list lifecycle events, not progress.
    expect(last).toMatch(/queued\s+op_\w+#1 test operation/);
    expect(last).toMatch(/completed\s+op_\w+#103 revision 1/);
    expect(last).not.toMatch(/progress\s+op_/);
  });

  it('keeps an operation without a terminal event running, never completed', () => {
    const frames = play((completed as EventEnvelope[]).slice(0, -1));
    const last = frames.at(-1)!;
    expect(operationLines(last)[0]).toContain('running  test operation (100 progress events)');
    expect(operationLines(last)[0]).toContain('100% 100/100');
    for (const frame of frames) expect(operationLines(frame).join('\n')).not.toContain('completed');
  });

  it('jumps with coalesced progress', () => {
    const frames = play(coalesced as EventEnvelope[]).map((frame) => operationLines(frame).join('\n'));
    const counts = frames
      .map((frame) => / (\d+)\/100/.exec(frame)?.[1])
      .filter((count) => count !== undefined)
      .map(Number);
    expect(counts[counts.indexOf(10) + 1]).toBe(90);
  });

  it('shows failed and cancelled operations with their code', () => {
    expect(operationLines(play(failed as EventEnvelope[]).at(-1)!)).toEqual([
      '  idle',
      '  failed   update assets/sprites/ui/button.png — CONFLICT',
    ]);
    expect(operationLines(play(buildFailed as EventEnvelope[]).at(-1)!)).toEqual([
      '  idle',
      '  failed   build sprites, ui — BLOCKED',
    ]);
    expect(operationLines(play(cancelled as EventEnvelope[]).at(-1)!)).toEqual([
      '  idle',
      '  cancelled test operation (5 progress events)',
    ]);
  });

  it('shows a running operation next to one that finished', () => {
    const events = [...(failed as EventEnvelope[]), ...(completed as EventEnvelope[]).slice(0, 30)];
    const lines = operationLines(play(events).at(-1)!);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ {2}running {2}test operation \(100 progress events\) \[█+░+\] 28% 28\/100$/);
    expect(lines[1]).toBe('  failed   update assets/sprites/ui/button.png — CONFLICT');
  });

  it('keeps one row per operation when a reconnect replays events it already showed', () => {
    const events = [...(failed as EventEnvelope[]), ...(completed as EventEnvelope[]).slice(0, 60)];
    // `packer top` resubscribes from an older cursor: the start of the running operation comes again.
    const replayed = [...events, ...(completed as EventEnvelope[]).slice(0, 30)];
    const lines = operationLines(play(replayed).at(-1)!);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ {2}running {2}test operation \(100 progress events\) \[█+░+\] 58% 58\/100$/);
    expect(lines[1]).toBe('  failed   update assets/sprites/ui/button.png — CONFLICT');
  });

  it('says when it is waiting for a restarting daemon, under the header', () => {
    const [waiting] = play([], { reconnecting: true });
    expect(waiting!.split('\n')[1]).toBe(
      'daemon restarting… waiting to reconnect (what follows is as of the last event seen)',
    );
    expect(play([])[0]).not.toContain('daemon restarting');
  });

  it('quits on q', async () => {
    const onQuit = vi.fn();
    const view = render(
      <Dashboard
        projectName="sample-game"
        summary={summary}
        health={health}
        operations={[]}
        recent={[]}
        onQuit={onQuit}
      />,
    );
    view.stdin.write('x');
    await new Promise((resolve) => setImmediate(resolve));
    expect(onQuit).not.toHaveBeenCalled();
    view.stdin.write('q');
    await vi.waitFor(() => expect(onQuit).toHaveBeenCalledTimes(1));
    view.unmount();
  });
});
