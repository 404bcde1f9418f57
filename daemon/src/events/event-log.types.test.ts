import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { EventPayload } from '@packer/core/contract';
import type { EmitLifecycle } from '../lane/operation-lane.js';
import type { EmitState } from '../state-events.js';
import type { EventLog, EventLogInput } from './event-log.js';

// Compile-time checks: never called. Each `@ts-expect-error` line must be an error, or this file does not compile,
// which the test below asserts with the TypeScript compiler itself (vitest only strips types).
export function publishIsTyped(log: EventLog, emitLifecycle: EmitLifecycle, emitState: EmitState): void {
  log.append({ type: 'snapshot.changed', payload: { revision: 2, previousRevision: 1, cause: 'rescan' } });
  log.append({
    type: 'queued',
    operationId: 'op_1',
    sequence: 1,
    payload: { kind: 'build', laneDepth: 1, summary: 'build' },
  });
  // @ts-expect-error a progress payload is not what `queued` carries
  log.append({ type: 'queued', operationId: 'op_1', sequence: 1, payload: { done: 1 } });
  // @ts-expect-error `previousRevision` and `cause` are missing
  log.append({ type: 'snapshot.changed', payload: { revision: 2 } });
  log.append({
    type: 'failed',
    operationId: 'op_1',
    sequence: 2,
    // @ts-expect-error `kind` must be an operation kind
    payload: { kind: 'compile', error: { code: 'INTERNAL', message: 'x' } },
  });
  emitLifecycle({
    // @ts-expect-error the lane makes lifecycle events only
    type: 'snapshot.changed',
    operationId: 'op_1',
    sequence: 1,
    time: '',
    // @ts-expect-error nor carries their payloads
    payload: { revision: 2, previousRevision: 1, cause: 'x' },
  });
  // @ts-expect-error `done` is a number
  emitLifecycle({ type: 'progress', operationId: 'op_1', sequence: 3, time: '', payload: { done: '3' } });
  emitState('watcher.degraded', { backend: 'parcel', reason: 'overflow' });
  // @ts-expect-error `daemon.stopping` carries a reason
  emitState('daemon.stopping', {});
  // @ts-expect-error state events have no lifecycle type
  emitState('completed', { kind: 'build', revisionAfter: 1, result: null });

  expectTypeOf<EventLogInput<'queued'>['payload']>().toEqualTypeOf<EventPayload<'queued'>>();
  expectTypeOf<{ type: 'queued'; payload: EventPayload<'progress'> }>().not.toExtend<EventLogInput<'queued'>>();
  expectTypeOf<{
    type: 'failed';
    payload: { kind: 'build'; error: { code: 'INTERNAL'; message: string; data: { recovered: 'before' } } };
  }>().toExtend<EventLogInput<'failed'>>();
  // A failed event's error is one of the packer's: a stable code, and that code's data.
  expectTypeOf<{
    type: 'failed';
    payload: { kind: 'build'; error: { code: 'OOPS'; message: string; data: Record<string, never> } };
  }>().not.toExtend<EventLogInput<'failed'>>();
}

const here = fileURLToPath(import.meta.url);
const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('publish', () => {
  it('takes the payload of its event type: a wrong payload does not compile', () => {
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [`${root}node_modules/@types`],
      // From sources, as vitest runs them: no build needed.
      baseUrl: root,
      paths: {
        '@packer/core': ['packer-core/src/index.ts'],
        '@packer/core/contract': ['packer-core/src/contract/index.ts'],
        '@packer/core/contract/runtime': ['packer-core/src/contract/runtime.ts'],
      },
    };
    const program = ts.createProgram([here], options);
    const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(here));
    const messages = diagnostics.map((diagnostic) => {
      const line =
        diagnostic.file && diagnostic.start !== undefined
          ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1
          : 0;
      return `${line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    });
    expect(messages).toEqual([]);
  });
});
