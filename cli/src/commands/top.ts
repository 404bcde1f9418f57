import type { EventEnvelope, MethodResult, OperationInfo } from '@packer/core/contract';
import { PackerCommand } from '../base/packer-command.js';
import { applyOperationEvent } from '../top/operations-from-events.js';

export default class Top extends PackerCommand<typeof Top> {
  static override description = "A live dashboard of the project's daemon: operations with progress, recent events, diagnostics, revision. q quits.";
  static override examples = ['<%= config.bin %> top'];
  static override enableJsonFlag = false;

  async run(): Promise<void> {
    const client = await this.client();
    const [{ render }, { createElement }, { Dashboard }] = await Promise.all([import('ink'), import('react'), import('../top/Dashboard.js')]);
    const rows = new Map<string, OperationInfo>((await client.call('operations.list', {})).items.map((op) => [op.operationId, op]));
    const recent: EventEnvelope[] = [];
    let summary: MethodResult<'snapshot.summary'> | undefined = await client.call('snapshot.summary', {});
    let health: MethodResult<'daemon.health'> | undefined = await client.call('daemon.health', {});
    let quit!: () => void;
    const quitting = new Promise<void>((resolve) => (quit = resolve));
    const element = () => createElement(Dashboard, { projectName: client.hello.projectName, summary, health, operations: [...rows.values()], recent, onQuit: quit });
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
      [summary, health] = await Promise.all([client.call('snapshot.summary', {}), client.call('daemon.health', {})]);
      redraw();
    };
    const subscription = await client.subscribe({
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
    if (scheduled) clearTimeout(scheduled);
    await subscription.close();
    app.unmount();
  }
}
