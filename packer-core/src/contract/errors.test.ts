import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Diagnostic } from './diagnostics.js';
import {
  isErrorCode,
  isPackerError,
  PackerError,
  toPackerError,
  type ErrorData,
  type PackerErrorJSON,
} from './errors.js';

const blocker: Diagnostic = { code: 'MISSING_FILE', severity: 'blocker', message: 'gone', path: 'assets/a.png' };

describe('typed error data', () => {
  it('narrows data to the code row with isPackerError', () => {
    const thrown: unknown = new PackerError('CONFLICT', 'moved on', {
      expectedRevision: 3,
      currentRevision: 5,
      hint: 'Preview again.',
    });
    expect(isPackerError(thrown)).toBe(true);
    expect(isPackerError(thrown, 'BLOCKED')).toBe(false);
    if (!isPackerError(thrown, 'CONFLICT')) throw new Error('expected a CONFLICT');
    expectTypeOf(thrown.data).toEqualTypeOf<ErrorData['CONFLICT']>();
    expectTypeOf(thrown.data.currentRevision).toEqualTypeOf<number | undefined>();
    expect(thrown.data).toEqual({ expectedRevision: 3, currentRevision: 5, hint: 'Preview again.' });
  });

  it('carries BLOCKED blockers, and requires them', () => {
    const error = new PackerError('BLOCKED', 'blocked', { blockers: [blocker] });
    expectTypeOf(error.data.blockers).toEqualTypeOf<Diagnostic[]>();
    // @ts-expect-error BLOCKED without its blockers does not type-check
    const incomplete = new PackerError('BLOCKED', 'blocked');
    expect(incomplete.data).toEqual({});
    expect(error.toJSON()).toEqual({ code: 'BLOCKED', message: 'blocked', data: { blockers: [blocker] } });
  });

  it('lets codes whose fields are all optional omit data', () => {
    expect(new PackerError('SHUTTING_DOWN', 'stopping').data).toEqual({});
    // @ts-expect-error a field another code carries is refused
    void new PackerError('SHUTTING_DOWN', 'stopping', { blockers: [] });
  });

  it('narrows the wire form by its code', () => {
    const wire = new PackerError('CURSOR_EXPIRED', 'old', {
      cursor: '1.2',
      oldestCursor: '1.9',
    }).toJSON() as PackerErrorJSON;
    if (wire.code !== 'CURSOR_EXPIRED') throw new Error('expected CURSOR_EXPIRED');
    expectTypeOf(wire.data.oldestCursor).toEqualTypeOf<string | undefined>();
    expect(wire.data.oldestCursor).toBe('1.9');
  });

  it('checks code strings a peer sends', () => {
    expect(isErrorCode('CONFLICT')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode(-32001)).toBe(false);
  });

  it('keeps unknown throws as INTERNAL and system errors as IO_ERROR with their call', () => {
    expect(toPackerError(new Error('boom'))).toMatchObject({ code: 'INTERNAL', data: {} });
    const io = toPackerError(Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'open', path: '/x' }));
    expect(isPackerError(io, 'IO_ERROR') && io.data).toEqual({ errno: 'ENOENT', syscall: 'open', path: '/x' });
  });
});
