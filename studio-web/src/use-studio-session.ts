import { useEffect, useState } from 'react';
import {
  connectUrl,
  EMPTY_ACTIVITY,
  type ActivityFeed,
  type SessionState,
  type SnapshotHeader,
  type StudioSession,
} from '@packer/studio-adapter/browser';
import { fetchEndpoint } from './endpoint.js';

export type StudioConnection =
  | { phase: 'connecting' }
  | { phase: 'failed'; error: unknown }
  | {
      phase: 'open';
      session: StudioSession;
      state: SessionState;
      header: SnapshotHeader | undefined;
      activity: ActivityFeed;
      lastError: unknown;
    };

/**
 * Opens one StudioSession over the daemon's WebSocket (following the summary only: the navigator pages through
 * `assets.list`, so a large project never travels whole) and mirrors its state, header and activity feed.
 */
export function useStudioSession(token: string | undefined): StudioConnection {
  const [connection, setConnection] = useState<StudioConnection>(() =>
    token
      ? { phase: 'connecting' }
      : {
          phase: 'failed',
          error: new Error('No token: open the URL that `packer studio` printed (the token is in its #fragment).'),
        },
  );
  useEffect(() => {
    if (!token) return;
    let held = token;
    let disposed = false;
    let session: StudioSession | undefined;
    const endpoint = async () => {
      const next = await fetchEndpoint(held);
      held = next.token;
      return next;
    };
    void (async () => {
      try {
        const first = await endpoint();
        const opened = await connectUrl(first.url, first.token, { client: 'studio-web', follow: 'summary', endpoint });
        if (disposed) return void opened.close();
        session = opened;
        const mirror = (lastError?: unknown) =>
          setConnection((previous) => ({
            phase: 'open',
            session: opened,
            state: opened.state,
            header: opened.summary,
            activity: opened.activity ?? EMPTY_ACTIVITY,
            lastError: lastError ?? (previous.phase === 'open' ? previous.lastError : undefined),
          }));
        opened.on('state', () => mirror());
        opened.on('snapshot', () => mirror());
        opened.on('activity', () => mirror());
        opened.on('error', (error) => mirror(error));
        mirror();
      } catch (error) {
        if (!disposed) setConnection({ phase: 'failed', error });
      }
    })();
    return () => {
      disposed = true;
      void session?.close();
    };
  }, [token]);
  return connection;
}
