import { describe, expect, it } from 'vitest';
import { describeWatcherError, WatcherSubscribeError } from './watcher-error.js';

describe('describeWatcherError', () => {
  it('recognises the inotify watch limit in a native @parcel/watcher message and adds the hint', () => {
    const info = describeWatcherError(
      new Error("inotify_add_watch on '/p/a' failed: No space left on device"),
      'Cannot watch "/p"',
      true,
    );
    expect(info).toMatchObject({ code: 'ENOSPC', fatal: true, reason: expect.stringContaining('Cannot watch "/p"') });
    expect(info.hint).toContain('fs.inotify.max_user_watches');
  });

  it('keeps the code of a Node error', () => {
    const error = Object.assign(new Error('EMFILE: too many open files, watch'), { code: 'EMFILE' });
    expect(describeWatcherError(error, 'chokidar watcher error', true)).toMatchObject({
      code: 'EMFILE',
      hint: expect.any(String),
    });
  });

  it('leaves code and hint out when nothing is recognised', () => {
    expect(describeWatcherError('odd', 'ctx', false)).toEqual({ reason: 'ctx: odd', fatal: false });
  });
});

describe('WatcherSubscribeError', () => {
  it('carries the info, and its code and hint where callers look for them on errors', () => {
    const error = new WatcherSubscribeError({
      reason: 'Cannot watch',
      code: 'ENOSPC',
      hint: 'Raise the limit',
      fatal: true,
    });
    expect(error).toMatchObject({
      name: 'WatcherSubscribeError',
      code: 'ENOSPC',
      hint: 'Raise the limit',
      message: 'Cannot watch. Raise the limit',
    });
  });
});
