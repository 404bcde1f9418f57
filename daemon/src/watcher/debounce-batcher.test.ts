import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DebounceBatcher } from './debounce-batcher.js';
import type { WatchBatch, WatchEventType } from './watcher.js';

describe('DebounceBatcher', () => {
  let batches: WatchBatch[];
  let batcher: DebounceBatcher;

  beforeEach(() => {
    vi.useFakeTimers();
    batches = [];
    batcher = new DebounceBatcher({ onFlush: (batch) => batches.push(batch), debounceMs: 50, maxDelayMs: 1_000 });
  });

  afterEach(() => {
    batcher.close();
    vi.useRealTimers();
  });

  const push = (type: WatchEventType, path: string): void => batcher.push({ type, path });

  it('flushes once the events have been quiet for debounceMs', () => {
    push('add', '/r/a');
    vi.advanceTimersByTime(30);
    push('add', '/r/b');
    vi.advanceTimersByTime(49);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual([
      {
        events: [
          { type: 'add', path: '/r/a' },
          { type: 'add', path: '/r/b' },
        ],
      },
    ]);
  });

  it('flushes after maxDelayMs during a continuous burst, then the rest once quiet', () => {
    for (let i = 0; i < 150; i++) {
      push('add', `/r/${i}`);
      vi.advanceTimersByTime(10);
    }
    // Events arrive every 10 ms for 1.5 s: the quiet timer never fires, the max delay does once.
    expect(batches).toHaveLength(1);
    expect(batches[0]?.events).toHaveLength(100);
    vi.advanceTimersByTime(50);
    expect(batches).toHaveLength(2);
    expect(batches[1]?.events).toHaveLength(50);
  });

  it('reports each path once, in order of its first event', () => {
    push('change', '/r/x');
    push('add', '/r/y');
    push('change', '/r/x');
    vi.advanceTimersByTime(50);
    expect(batches).toEqual([
      {
        events: [
          { type: 'change', path: '/r/x' },
          { type: 'add', path: '/r/y' },
        ],
      },
    ]);
  });

  it.each<[WatchEventType[], WatchEventType]>([
    [['add', 'unlink'], 'unlink'],
    [['add', 'change'], 'add'],
    [['add', 'change', 'unlink'], 'unlink'],
    [['unlink', 'add'], 'change'],
    [['change', 'unlink'], 'unlink'],
    [['change', 'change'], 'change'],
  ])('merges %j on one path into %s', (types, expected) => {
    for (const type of types) push(type, '/r/p');
    vi.advanceTimersByTime(50);
    expect(batches).toEqual([{ events: [{ type: expected, path: '/r/p' }] }]);
  });

  it('delivers a batch at the end of a native delivery when it holds an urgent path, with everything in it', () => {
    batcher.close();
    batcher = new DebounceBatcher({
      onFlush: (batch) => batches.push(batch),
      debounceMs: 50,
      urgent: (path) => path.endsWith('.cookie'),
    });
    push('unlink', '/r/a');
    batcher.flushIfUrgent();
    expect(batches).toEqual([]);
    push('add', '/r/x.cookie');
    push('unlink', '/r/c');
    batcher.flushIfUrgent();
    expect(batches).toEqual([
      {
        events: [
          { type: 'unlink', path: '/r/a' },
          { type: 'add', path: '/r/x.cookie' },
          { type: 'unlink', path: '/r/c' },
        ],
      },
    ]);
    push('add', '/r/b');
    vi.advanceTimersByTime(50);
    expect(batches[1]).toEqual({ events: [{ type: 'add', path: '/r/b' }] });
  });

  it('never flushes an empty batch', () => {
    vi.advanceTimersByTime(5_000);
    batcher.flush();
    expect(batches).toEqual([]);
  });

  it('flush() delivers pending events at once and cancels the timers', () => {
    push('add', '/r/a');
    batcher.flush();
    expect(batches).toHaveLength(1);
    vi.advanceTimersByTime(5_000);
    expect(batches).toHaveLength(1);
  });

  it('drops pending events on close and accepts none afterwards', () => {
    push('add', '/r/a');
    batcher.close();
    push('add', '/r/b');
    vi.advanceTimersByTime(5_000);
    batcher.flush();
    expect(batches).toEqual([]);
  });

  it('defaults to a 50 ms quiet period', () => {
    const defaults = new DebounceBatcher({ onFlush: (batch) => batches.push(batch) });
    defaults.push({ type: 'add', path: '/r/a' });
    vi.advanceTimersByTime(49);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(batches).toHaveLength(1);
  });
});
