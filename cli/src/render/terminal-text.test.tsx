import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { Diagnostic, EventEnvelope, MethodResult, OperationInfo, Plan } from '@packer/core/contract';
import { initialOperationState, reduceOperationEvent } from '../progress/operation-state.js';
import { OperationView } from '../progress/OperationView.js';
import { PlainProgress } from '../progress/plain-progress.js';
import { Dashboard } from '../top/Dashboard.js';
import { table } from './format.js';
import { renderDiagnostic } from './render-diagnostic.js';
import { renderEventLine } from './render-event.js';
import { renderPlan } from './render-plan.js';
import { terminalText } from './terminal-text.js';

// A window-title OSC, a colour CSI, the one-byte C1 CSI and a right-to-left override, as a file name could hold them.
const HOSTILE = 'evil\u001B]0;pwned\u0007\u001B[31mred\u009B2J\u202Etxt.exe';
const ESCAPED = 'evil\\x1B]0;pwned\\x07\\x1B[31mred\\x9B2J\\u202Etxt.exe';
/** What must never reach a terminal from the project's text (ink's own colour codes are stripped before the check). */
const RAW_CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;
const INK_COLOUR = /\u001B\[[0-9;]*m/g;

describe('terminalText', () => {
  it('escapes C0, DEL, C1 and the bidi embeddings, overrides and isolates; leaves other text alone', () => {
    expect(terminalText(HOSTILE)).toBe(ESCAPED);
    expect(terminalText('a\nb\tc\rd\u0000\u007F')).toBe('a\\nb\\tc\\rd\\x00\\x7F');
    for (const code of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]) {
      expect(terminalText(String.fromCharCode(code))).toBe(`\\u${code.toString(16).toUpperCase()}`);
    }
    expect(terminalText('assets/sprites/héros 🦸.png → ok')).toBe('assets/sprites/héros 🦸.png → ok');
  });
});

describe('every human renderer escapes what it quotes', () => {
  const diagnostic: Diagnostic = {
    code: 'UNTRACKED_FILE',
    severity: 'info',
    path: `assets/${HOSTILE}`,
    message: `assets/${HOSTILE} is not registered.`,
    hint: `Run packer add ${HOSTILE}`,
  };

  it('render/*: diagnostics, plans, event lines and tables', () => {
    const plan = {
      baseRevision: 3,
      mutation: { type: 'remove', targets: [`assets/${HOSTILE}`], deleteFiles: true },
      blockers: [],
      warnings: [diagnostic],
      registryMutations: [
        {
          op: 'remove',
          entry: {
            id: 'a_01JQ0000000000000000000000',
            path: `assets/${HOSTILE}`,
            kind: 'text',
            settings: {},
            tags: [HOSTILE],
          },
        },
      ],
      filesystemMutations: [{ op: 'delete', path: `assets/${HOSTILE}` }],
    } as unknown as Plan;
    const event = {
      cursor: '1.5',
      operationId: 'op_1',
      sequence: 1,
      type: 'queued',
      time: '2026-01-01T00:00:00.000Z',
      payload: { kind: 'remove', summary: `remove ${HOSTILE}` },
    } as EventEnvelope;
    const outputs = [
      renderDiagnostic(diagnostic),
      renderPlan(plan),
      renderEventLine(event),
      table([
        ['a_1', HOSTILE],
        [HOSTILE, 'x'],
      ]),
    ];
    for (const output of outputs) {
      expect(output).toContain(ESCAPED);
      expect(output).not.toMatch(RAW_CONTROL);
    }
    // The layout's own line breaks stay: the diagnostic's hint is on its own line.
    expect(renderDiagnostic(diagnostic).split('\n')).toHaveLength(2);
  });

  it('the progress views: ink and plain lines', () => {
    const events = [
      {
        cursor: '1.1',
        operationId: 'op_1',
        sequence: 1,
        type: 'queued',
        time: '2026-01-01T00:00:00.000Z',
        payload: { kind: 'build', summary: `build ${HOSTILE}`, laneDepth: 0 },
      },
      {
        cursor: '1.2',
        operationId: 'op_1',
        sequence: 2,
        type: 'started',
        time: '2026-01-01T00:00:00.100Z',
        payload: { kind: 'build', baseRevision: 1 },
      },
      {
        cursor: '1.3',
        operationId: 'op_1',
        sequence: 3,
        type: 'progress',
        time: '2026-01-01T00:00:00.200Z',
        payload: { done: 1, total: 2, current: `assets/${HOSTILE}`, warnings: [diagnostic] },
      },
    ] as EventEnvelope[];
    let state = initialOperationState('op_1');
    const lines: string[] = [];
    const plain = new PlainProgress((line) => lines.push(line), 0);
    for (const event of events) {
      state = reduceOperationEvent(state, event);
      plain.update(state);
    }
    const failed = reduceOperationEvent(state, {
      cursor: '1.4',
      operationId: 'op_1',
      sequence: 4,
      type: 'failed',
      time: '2026-01-01T00:00:00.300Z',
      payload: { kind: 'build', error: { code: 'INTERNAL', message: `${HOSTILE} failed`, data: {} } },
    });
    const running = render(<OperationView state={state} />);
    const frames = [running.lastFrame() ?? ''];
    running.rerender(<OperationView state={failed} />);
    frames.push(running.lastFrame() ?? '');
    running.unmount();
    plain.update(failed);
    for (const text of [...frames.map((frame) => frame.replace(INK_COLOUR, '')), ...lines])
      expect(text).not.toMatch(RAW_CONTROL);
    expect(frames[0]).toContain(`build ${ESCAPED}`.slice(0, 40));
    expect(lines.join('\n')).toContain(`assets/${ESCAPED}`);
    expect(lines.at(-1)).toBe(`failed: INTERNAL: ${ESCAPED} failed`);
  });

  it('packer top: project name, operation summaries, error codes and recent events', () => {
    const summary = {
      revision: 1,
      projectName: HOSTILE,
      registryState: 'ok',
      summary: {
        assets: 1,
        byKind: {},
        byStatus: {},
        untracked: 0,
        missing: 0,
        divergence: 0,
        blockers: 0,
        warnings: 0,
        infos: 0,
        totalBytes: 0,
      },
      lastBuilds: [],
      divergence: [],
    } as unknown as MethodResult<'snapshot.summary'>;
    const operations = [
      {
        operationId: 'op_1',
        kind: 'build',
        state: 'running',
        summary: `build ${HOSTILE}`,
        queuedAt: '2026-01-01T00:00:00.000Z',
        progress: { done: 1, total: 2 },
      },
      {
        operationId: 'op_2',
        kind: 'remove',
        state: 'failed',
        summary: `remove ${HOSTILE}`,
        queuedAt: '2026-01-01T00:00:00.000Z',
        error: { code: 'BLOCKED', message: HOSTILE },
      },
    ] as unknown as OperationInfo[];
    const recent = [
      {
        cursor: '1.9',
        operationId: 'op_2',
        sequence: 1,
        type: 'queued',
        time: '2026-01-01T00:00:00.000Z',
        payload: { kind: 'remove', summary: `remove ${HOSTILE}` },
      },
    ] as EventEnvelope[];
    const view = render(
      <Dashboard projectName={HOSTILE} summary={summary} health={undefined} operations={operations} recent={recent} />,
    );
    const frame = (view.lastFrame() ?? '').replace(INK_COLOUR, '');
    view.unmount();
    expect(frame).not.toMatch(RAW_CONTROL);
    expect(frame).toContain(`packer top — ${ESCAPED}`);
  });
});
