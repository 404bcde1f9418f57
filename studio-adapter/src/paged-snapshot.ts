import { isPackerError, PAGE_SIZES } from '@packer/core/contract/runtime';
import type {
  AssetView,
  Diagnostic,
  DivergenceEntry,
  MethodParams,
  MethodResult,
  Snapshot,
  UntrackedFile,
} from '@packer/core/contract';
import type { DaemonClient } from '@packer/client/browser';

// A project that changes faster than it can be read whole is reported, not read forever.
const ATTEMPTS = 5;

type PagedMethod = 'assets.list' | 'diagnostics.list' | 'divergence.list';

/**
 * The whole snapshot of one revision, read through `snapshot.summary` and the paged lists (assets, untracked
 * files, divergence, diagnostics): no message grows with the project. A revision that moves while reading
 * (a page token refused with CONFLICT, or a page of another revision) starts the read again.
 */
export async function loadPagedSnapshot(client: DaemonClient): Promise<Snapshot> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readOnce(client);
    } catch (error) {
      if (!(error instanceof RevisionMoved) && !isPackerError(error, 'CONFLICT')) throw error;
      // The packer's own CONFLICT (a stale page token) goes out as it came; a revision the adapter saw move is
      // the adapter's observation, not a packer outcome, so it stays a plain error.
      if (attempt >= ATTEMPTS) throw error;
    }
  }
}

class RevisionMoved extends Error {
  constructor() {
    super(
      `The snapshot kept changing while it was read (${ATTEMPTS} attempts); try again once the project is quieter.`,
    );
  }
}

async function readOnce(client: DaemonClient): Promise<Snapshot> {
  const header = await client.call('snapshot.summary', {});
  const { revision } = header;
  const all = async <M extends PagedMethod, T>(
    method: M,
    params: MethodParams<M>,
    pick: (answer: MethodResult<M>) => T[],
  ): Promise<T[]> => {
    const items: T[] = [];
    let page: string | undefined;
    do {
      const answer = await client.call(method, { ...params, ...(page ? { page } : {}) });
      if (answer.revision !== revision) throw new RevisionMoved();
      items.push(...pick(answer));
      page = answer.nextPage;
    } while (page);
    return items;
  };
  const [assets, untracked, divergence, diagnostics] = await Promise.all([
    all('assets.list', { limit: PAGE_SIZES['assets.list'].max }, (answer) =>
      answer.items.filter((item): item is AssetView => item.status !== 'untracked'),
    ),
    all('assets.list', { status: 'untracked', limit: PAGE_SIZES['assets.list'].max }, (answer) =>
      answer.items.flatMap((item): UntrackedFile[] =>
        item.status === 'untracked' ? [{ path: item.path, kind: item.kind, observation: item.observation }] : [],
      ),
    ),
    all('divergence.list', { limit: PAGE_SIZES['divergence.list'].max }, (answer): DivergenceEntry[] => answer.items),
    all('diagnostics.list', { limit: PAGE_SIZES['diagnostics.list'].max }, (answer): Diagnostic[] => answer.items),
  ]);
  return { ...header, assets, untracked, divergence, diagnostics };
}
