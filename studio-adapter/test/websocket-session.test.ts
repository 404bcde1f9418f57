import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PackerError, parseCursor } from '@packer/core/contract/runtime';
import {
  longOperation,
  startDaemon,
  stopDaemon,
  type DaemonProcess,
} from '../../daemon/test/support/daemon-harness.js';
import { connectUrl as connectUrlInBrowser } from '../src/browser.js';
import { connectProject, connectUrl, type StudioSession } from '../src/index.js';
import { recordEvents, until } from './support/session-waits.js';

let daemon: DaemonProcess | undefined;
const sessions: StudioSession[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) await session.close();
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

function endpointOf(root: string): { url: string; token: string } {
  const { url } = JSON.parse(readFileSync(path.join(root, '.packer', 'ws.json'), 'utf8')) as { url: string };
  return { url, token: readFileSync(path.join(root, '.packer', 'ws-token'), 'utf8') };
}

async function keep(session: Promise<StudioSession>): Promise<StudioSession> {
  const opened = await session;
  sessions.push(opened);
  return opened;
}

describe('studio session over the WebSocket', () => {
  it('works the same as over the socket: same summary, same navigator, events arrive', async () => {
    daemon = await startDaemon({ args: ['--ws'] });
    const { url, token } = endpointOf(daemon.root);
    const overSocket = await keep(connectProject(daemon.root, { autoStart: false }));
    const overWebSocket = await keep(connectUrl(url, token));

    expect(overWebSocket.state).toBe('ready');
    expect(await overWebSocket.client.call('snapshot.summary', {})).toEqual(
      await overSocket.client.call('snapshot.summary', {}),
    );
    expect(overWebSocket.summary).toEqual(overSocket.summary);
    expect(overWebSocket.navigator()).toEqual(overSocket.navigator());

    const events = recordEvents(overWebSocket);
    const plan = await overSocket.previewMutation({
      type: 'move',
      from: 'assets/sprites/enemies/bat.png',
      to: 'assets/sprites/bat.png',
    });
    const result = await overSocket.applyPreview(plan);
    // Both sessions take the move from their own events: each is compared once it has seen the new revision.
    await overWebSocket.whenRevision(result.revisionAfter);
    await overSocket.whenRevision(result.revisionAfter);
    await until(
      overWebSocket,
      () =>
        overWebSocket.activity.rows.some((row) => row.operationId === result.operationId && row.status === 'completed'),
      'the move over the WebSocket',
    );
    expect(events.filter((event) => event.operationId === result.operationId).map((event) => event.type)).toEqual([
      'queued',
      'started',
      'completed',
    ]);
    expect(overWebSocket.navigator()).toEqual(overSocket.navigator());
  });

  it('the browser entry connects with the global WebSocket', async () => {
    daemon = await startDaemon({ args: ['--ws'] });
    const { url, token } = endpointOf(daemon.root);
    const global = globalThis as { WebSocket?: unknown };
    const before = global.WebSocket;
    try {
      delete global.WebSocket;
      await expect(connectUrlInBrowser(url, token)).rejects.toMatchObject({ code: 'NOT_READY' });
      global.WebSocket = WebSocket; // Node 20 has no global WebSocket; `ws` has the browser API.
      const session = await keep(connectUrlInBrowser(url, token, { client: 'browser-test' }));
      expect(session.state).toBe('ready');
      expect(session.summary?.projectName).toBe('sample-game');
    } finally {
      if (before === undefined) delete global.WebSocket;
      else global.WebSocket = before;
    }
  });

  it('reconnects to a restarted daemon through the endpoint callback (new port, new token), missing no event', async () => {
    daemon = await startDaemon({ args: ['--ws'] });
    const root = daemon.root;
    const { url, token } = endpointOf(root);
    const session = await keep(connectUrl(url, token, { endpoint: () => endpointOf(root) }));
    const events = recordEvents(session);
    const start = () => longOperation(root, { progressEvents: 100 });
    const first = await start();
    await until(
      session,
      () => events.some((event) => event.operationId === first && event.type === 'completed'),
      'the first operation',
    );

    await stopDaemon(daemon, { keepRoot: true });
    daemon = undefined;
    await until(session, () => session.state === 'reconnecting', 'the drop');
    daemon = await startDaemon({ root, args: ['--ws'] });
    await until(session, () => session.state === 'ready', 'the reconnect');
    const second = await start();
    await until(
      session,
      () => events.some((event) => event.operationId === second && event.type === 'completed'),
      'the second operation',
    );

    const seqs = events.map((event) => parseCursor(event.cursor).seq);
    expect(seqs.every((seq, index) => index === 0 || seq > seqs[index - 1]!)).toBe(true);
    expect(events.some((event) => event.type === 'daemon.started')).toBe(true);
  }, 40_000);

  it('a refused handshake comes back as a PackerError naming the status', async () => {
    daemon = await startDaemon({ args: ['--ws'] });
    const { url } = endpointOf(daemon.root);
    const refused = await connectUrl(url, 'f'.repeat(64), { reconnect: false }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PackerError);
    expect((refused as PackerError).code).toBe('NOT_READY');
    expect((refused as PackerError).message).toContain('401');
  });
});
