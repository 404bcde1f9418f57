import type { DaemonClient } from '@packer/client';
import { PackerError } from '@packer/core/contract/runtime';
import type { EventEnvelope } from '@packer/core/contract';
import { initialOperationState, isTerminal, reduceOperationEvent, type OperationViewState } from './operation-state.js';
import { PlainProgress } from './plain-progress.js';

export type ProgressMode = 'live' | 'plain' | 'json';

/** How the CLI shows an operation: ink on a TTY, plain lines without one or in CI, nothing with --json (the command
 * prints its result). */
export function progressMode(json: boolean): ProgressMode {
  if (json) return 'json';
  if (process.stdout.isTTY && !process.env.CI) return 'live';
  return 'plain';
}

/**
 * Subscribes first, then starts the operation, so no event of it is missed; renders every event of that
 * operation until its terminal event, which is the only thing that ends the view, unless the connection to the
 * daemon closes first (CONNECTION_LOST). Ctrl-C asks the packer to cancel and keeps waiting for the terminal event.
 */
export async function followOperation(
  client: DaemonClient,
  start: () => Promise<{ operationId: string }>,
  mode: ProgressMode,
): Promise<OperationViewState> {
  const early: EventEnvelope[] = [];
  let operationId: string | undefined;
  let state: OperationViewState | undefined;
  let finish!: (state: OperationViewState) => void;
  const finished = new Promise<OperationViewState>((resolve) => (finish = resolve));
  const renderer = await createRenderer(mode);

  const apply = (event: EventEnvelope): void => {
    if (!state) return;
    state = reduceOperationEvent(state, event);
    renderer.update(state);
    if (isTerminal(state)) finish(state);
  };
  // The daemon went away (killed, crashed) before the terminal event: nothing will end the view. Say so, with the
  // packer's code for it, instead of leaving a promise nobody settles (Node then exits 13, silently).
  let lost!: (error: PackerError) => void;
  const connectionLost = new Promise<never>((_, reject) => (lost = reject));
  connectionLost.catch(() => undefined); // handled by the races below, whenever it comes
  const stopWatching = client.onStateChange((clientState) => {
    if (clientState !== 'closed') return;
    const what = operationId ? `operation ${operationId} ended` : 'the operation started';
    lost(
      new PackerError(
        'CONNECTION_LOST',
        `The connection to the packer daemon closed before ${what}; the outcome is unknown.`,
        {
          hint: 'Run `packer events` to see how it ended (a daemon that stopped ends it when it starts again), then run the command again if it did not complete.',
        },
      ),
    );
  });
  const subscription = await client.subscribe({
    onEvent: (event) => {
      if (!operationId) early.push(event);
      else if (event.operationId === operationId) apply(event);
    },
  });
  // First Ctrl-C: ask the packer to cancel (as soon as the operation id is known) and keep waiting for the
  // terminal event. A second one stops waiting: the operation may still end on its own in the daemon.
  let interrupts = 0;
  const cancel = (): void => {
    if (operationId) void client.call('operations.cancel', { operationId }).catch(() => undefined);
  };
  const onInterrupt = (): void => {
    interrupts += 1;
    if (interrupts > 1) {
      renderer.close();
      process.stderr.write(
        'Stopped waiting; the operation may still be finishing in the packer daemon (see `packer events`).\n',
      );
      process.exit(130);
    }
    cancel();
  };
  process.on('SIGINT', onInterrupt);
  try {
    ({ operationId } = await Promise.race([start(), connectionLost]));
    if (interrupts > 0) cancel();
    state = initialOperationState(operationId);
    renderer.update(state);
    for (const event of early.splice(0)) if (event.operationId === operationId) apply(event);
    return await Promise.race([finished, connectionLost]);
  } finally {
    stopWatching();
    process.off('SIGINT', onInterrupt);
    await subscription.close();
    renderer.close();
  }
}

interface Renderer {
  update(state: OperationViewState): void;
  close(): void;
}

async function createRenderer(mode: ProgressMode): Promise<Renderer> {
  if (mode === 'json') return { update: () => undefined, close: () => undefined };
  if (mode === 'plain') {
    const plain = new PlainProgress((line) => process.stdout.write(line + '\n'));
    return { update: (state) => plain.update(state), close: () => undefined };
  }
  // ink and react load only here: simple commands never pay for them.
  const [{ render }, { createElement }, { OperationView }] = await Promise.all([
    import('ink'),
    import('react'),
    import('./OperationView.js'),
  ]);
  let instance: ReturnType<typeof render> | undefined;
  return {
    update: (state) => {
      const element = createElement(OperationView, { state });
      if (instance) instance.rerender(element);
      else instance = render(element, { exitOnCtrlC: false });
    },
    close: () => instance?.unmount(),
  };
}
