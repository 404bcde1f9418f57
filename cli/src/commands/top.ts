import { connectToDaemon, DaemonClient } from '@packer/client';
import { PackerError } from '@packer/core/contract/runtime';
import type { EventEnvelope, MethodResult, OperationInfo } from '@packer/core/contract';
import { PackerCommand } from '../base/packer-command.js';
import { applyOperationEvent } from '../top/operations-from-events.js';

export default class Top extends PackerCommand<typeof Top> {
  static override description =
    "A live dashboard of the project's daemon: operations with progress, recent events, diagnostics, revision. When the daemon restarts it waits and resumes from the last event shown. q quits.";

  static override examples = ['<%= config.bin %> top'];
  static override enableJsonFlag = false;

  async run(): Promise<void> {
    // A dashboard needs a terminal to draw on and to read `q` from; without one, say so (ink would throw on stdin).
    if (!process.stdin.isTTY || !process.stdout.isTTY)
      this.error('packer top needs a terminal. For a stream of events use `packer events --follow` (--json).', {
        exit: 2,
      });
    const client = await this.dashboardClient();
    try {
      await this.follow(client);
    } finally {
      // Also ends a reconnect still trying, whatever ended the dashboard.
      await client.close().catch(() => undefined);
    }
  }

  private async follow(client: DaemonClient): Promise<void> {
    // Read once: `client.hello` throws while the connection is down, and redraws may still be scheduled then.
    const { projectName, cursor: helloCursor } = client.hello;
    const [{ render }, { createElement }, { Dashboard }] = await Promise.all([
      import('ink'),
      import('react'),
      import('../top/Dashboard.js'),
    ]);
    const rows = new Map<string, OperationInfo>(
      (await client.call('operations.list', {})).items.map((op) => [op.operationId, op]),
    );
    const recent: EventEnvelope[] = [];
    let summary: MethodResult<'snapshot.summary'> | undefined = await client.call('snapshot.summary', {});
    let health: MethodResult<'daemon.health'> | undefined = await client.call('daemon.health', {});
    let reconnecting = false;
    let quit!: () => void;
    const quitting = new Promise<void>((resolve) => (quit = resolve));
    const element = () =>
      createElement(Dashboard, {
        projectName,
        summary,
        health,
        operations: [...rows.values()],
        recent,
        reconnecting,
        onQuit: quit,
      });
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
        return; // the connection dropped meanwhile: the state listener below shows it, and refreshes once it is back
      }
      redraw();
    };
    // A dropped connection (the daemon restarting, or stopped) is shown, not fatal: the client reconnects to the
    // next daemon and the subscription resumes from the last event shown. Only an in-process run cannot come back.
    let lostDaemon = false;
    const stopWatchingState = client.onStateChange((state) => {
      if (state === 'reconnecting') {
        reconnecting = true;
        redraw();
      } else if (state === 'connected') {
        reconnecting = false;
        void refreshState();
      } else if (state === 'closed') {
        lostDaemon = true;
        quit();
      }
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
        if (
          event.type === 'snapshot.changed' ||
          event.type === 'completed' ||
          event.type === 'failed' ||
          event.type === 'cancelled' ||
          event.type === 'started'
        )
          void refreshState();
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
      throw new PackerError(
        'NOT_READY',
        'The packer ran inside packer top (--no-daemon) and its connection ended, so packer top quit.',
        {
          hint: 'Run `packer top` again, or without --no-daemon to follow the project daemon across restarts.',
        },
      );
    }
  }

  /**
   * In-process (`--no-daemon`): the shared client, which cannot outlive this process's server. Otherwise a client
   * of its own that reconnects: the first connection starts the daemon when none runs (as every command does), a
   * reconnect only finds the next one, so a `packer daemon stop` is not undone by a dashboard left open.
   */
  private async dashboardClient(): Promise<DaemonClient> {
    if (this.inProcess()) return this.client();
    const root = this.projectRoot();
    let first = true;
    return new DaemonClient(
      () => {
        const autoStart = first;
        first = false;
        return connectToDaemon(root, { client: 'cli:top', autoStart });
      },
      { reconnect: true },
    ).open();
  }
}
