import { PackerError } from '@packer/core/contract/runtime';
import type { EventEnvelope, MethodResult, OperationInfo } from '@packer/core/contract';
import { PackerCommand } from '../base/packer-command.js';
import { applyOperationEvent } from '../top/operations-from-events.js';

export default class Top extends PackerCommand<typeof Top> {
  static override description = "A live dashboard of the project's daemon: operations with progress, recent events, diagnostics, revision. q quits.";
  static override examples = ['<%= config.bin %> top'];
  static override enableJsonFlag = false;

  async run(): Promise<void> {
    const client = await this.client();
    // Read once: `client.hello` throws after the connection ends, and redraws may still be scheduled then.
    const { projectName, cursor: helloCursor } = client.hello;
    const [{ render }, { createElement }, { Dashboard }] = await Promise.all([import('ink'), import('react'), import('../top/Dashboard.js')]);
    const rows = new Map<string, OperationInfo>((await client.call('operations.list', {})).items.map((op) => [op.operationId, op]));
    const recent: EventEnvelope[] = [];
    let summary: MethodResult<'snapshot.summary'> | undefined = await client.call('snapshot.summary', {});
    let health: MethodResult<'daemon.health'> | undefined = await client.call('daemon.health', {});
    let quit!: () => void;
    const quitting = new Promise<void>((resolve) => (quit = resolve));
    const element = () => createElement(Dashboard, { projectName, summary, health, operations: [...rows.values()], recent, onQuit: quit });
    const app = render(element(), { exitOnCtrlC: true });
    void app.waitUntilExit().then(quit);
    // Redraw at most every 100 ms: progress can arrive far faster than a terminal can show it.
    let scheduled: NodeJS.Timeout | undefined;
    const redraw = (): void => {
      scheduled ??= setTimeout(() => {
        scheduled = undefined;
        app.rerender(element());
      }, 100);
    };
    const refreshState = async (): Promise<void> => {
      try {
        [summary, health] = await Promise.all([client.call('snapshot.summary', {}), client.call('daemon.health', {})]);
      } catch {
        return; // the connection ended: the state listener below ends the dashboard
      }
      redraw();
    };
    // The daemon stopped or the socket broke: say so and end, rather than show a frozen dashboard.
    let lostDaemon = false;
    const stopWatchingState = client.onStateChange((state) => {
      if (state !== 'closed') return;
      lostDaemon = true;
      quit();
    });
    // From the hello cursor: an operation queued between operations.list and this subscription is replayed, not lost.
    const subscription = await client.subscribe({
      since: helloCursor,
      onEvent: (event) => {
        applyOperationEvent(rows, event);
        if (event.type !== 'progress') {
          recent.push(event);
          if (recent.length > 50) recent.shift();
        }
        if (event.type === 'snapshot.changed' || event.type === 'completed' || event.type === 'failed' || event.type === 'cancelled' || event.type === 'started') void refreshState();
        redraw();
      },
    });
    await quitting;
    stopWatchingState();
    if (scheduled) clearTimeout(scheduled);
    await subscription.close();
    app.unmount();
    if (lostDaemon) {
      // The client's own finding (it lost the daemon), not an answer of the packer's.
      throw new PackerError('NOT_READY', 'The connection to the packer daemon ended (it stopped or restarted), so packer top quit.', {
        hint: 'Run `packer top` again; it starts the daemon if none is running.',
      });
    }
  }
}
