import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventSink } from './event-sink.js';
import type { WatchBatch, WatchOptions } from './watcher.js';

function sinkOptions(batches: WatchBatch[], extra: Partial<WatchOptions> = {}): WatchOptions {
  return { root: '/project', ignore: [], onBatch: (batch) => batches.push(batch), onError: () => undefined, ...extra };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('EventSink', () => {
  it('delivers a native delivery whole as it ends when the backend already waited for quiet (parcel)', () => {
    vi.useFakeTimers();
    const batches: WatchBatch[] = [];
    const sink = new EventSink(sinkOptions(batches), true);
    sink.push({ type: 'add', path: '/project/assets/a.txt' });
    sink.push({ type: 'change', path: '/project/assets/a.txt' });
    sink.push({ type: 'unlink', path: '/project/assets/b.txt' });
    expect(batches).toEqual([]);
    sink.endOfDelivery();
    // No second quiet period: the outside change reaches the daemon without waiting on a timer.
    expect(batches).toEqual([
      {
        events: [
          { type: 'add', path: '/project/assets/a.txt' },
          { type: 'unlink', path: '/project/assets/b.txt' },
        ],
      },
    ]);
    vi.advanceTimersByTime(1_000);
    expect(batches).toHaveLength(1);
    sink.close();
  });

  it('keeps its own quiet period for backends without one, and when the caller sets debounceMs', () => {
    vi.useFakeTimers();
    for (const [native, extra] of [
      [false, {}],
      [true, { debounceMs: 30 }],
    ] as const) {
      const batches: WatchBatch[] = [];
      const sink = new EventSink(sinkOptions(batches, extra), native);
      sink.push({ type: 'add', path: '/project/assets/a.txt' });
      sink.endOfDelivery();
      expect(batches).toEqual([]);
      vi.advanceTimersByTime(50);
      expect(batches).toEqual([{ events: [{ type: 'add', path: '/project/assets/a.txt' }] }]);
      sink.close();
    }
  });
});
