import { describePlan, listPackEntries, listPacks, planBuild, resolvePack, restoreLastBuilds, runBuild, selectPackRules, verifyPackFiles, type BuildProgress } from '@packer/core';
import { PackerError, toPackerError, type BuildReport, type MethodParams } from '@packer/core/contract';
import type { ConnectionContext } from '../connection-context.js';
import type { Daemon } from '../daemon.js';
import type { OperationContext } from '../lane/operation-lane.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';

type BuildMethod = 'build.preview' | 'build.start' | 'build.run' | 'packs.list' | 'packs.entries' | 'packs.verify';

/** Progress events of a build are coalesced to one per this many ms (counts are cumulative, so none is lost). */
const PROGRESS_INTERVAL_MS = 50;

/**
 * Builds and packs over one daemon. A build is a lane operation (never interleaved with a mutation); pack
 * reads (`packs.*`) answer from the files without waiting for the lane.
 */
export function createBuildHandlers(daemon: Daemon): Pick<MethodHandlers<ConnectionContext>, BuildMethod> {
  // After a restart, show the builds recorded by the previous daemon in snapshot.summary.lastBuilds.
  void restoreLastBuilds(daemon.workspace).then((published) => published && daemon.ready && daemon.publishState('build'), () => undefined);
  const workspace = () => daemon.workspace;
  const enqueue = (params: MethodParams<'build.start'>, context: ConnectionContext) => {
    // An unknown pack name is an error of the request, before anything is queued.
    selectPackRules(workspace().config, params.packs);
    return daemon.lane.enqueue<BuildReport>({
      kind: 'build',
      summary: params.packs ? `build ${params.packs.join(', ')}` : 'build all packs',
      actor: context.actor,
      run: async (operation) => {
        await catchUpWithDisk(daemon);
        const progress = coalescedProgress(operation);
        try {
          const report = await runBuild(workspace(), { packs: params.packs, signal: operation.signal, onProgress: progress.push, operationId: operation.operationId });
          return { revisionAfter: report.revisionAfter, result: report };
        } finally {
          progress.flush();
          daemon.publishState('build');
        }
      },
    });
  };
  return {
    'build.preview': async (params) => {
      await catchUpWithDisk(daemon);
      return describePlan(planBuild(workspace().state, { packs: params.packs }));
    },
    'build.start': (params, context) => {
      const { operationId, done } = enqueue(params, context);
      done.catch(() => undefined);
      return { operationId };
    },
    'build.run': async (params, context) => {
      const { operationId, done } = enqueue(params, context);
      try {
        return { operationId, report: await done };
      } catch (error) {
        const packerError = toPackerError(error);
        throw new PackerError(packerError.code, packerError.message, { ...packerError.data, operationId }, { cause: error });
      }
    },
    'packs.list': () => listPacks(workspace().root, workspace().config, workspace().snapshot.lastBuilds),
    'packs.entries': (params) => listPackEntries(resolvePack(workspace().root, workspace().config, params.pack), params),
    'packs.verify': (params) => verifyPackFiles(resolvePack(workspace().root, workspace().config, params.pack)),
  };
}

/** Makes the workspace reflect every change made to the disk before now (watcher cookie, or a full rescan). */
async function catchUpWithDisk(daemon: Daemon): Promise<void> {
  if (daemon.diskSync) {
    await daemon.diskSync.sync();
    return;
  }
  await daemon.workspace.refresh(undefined, 'pre-build');
  daemon.publishState('rescan');
}

/** Forwards build progress as lane progress events, at most one per interval, always the latest and the last. */
function coalescedProgress(operation: OperationContext): { push: (progress: BuildProgress) => void; flush: () => void } {
  let lastSent = 0;
  let lastFailed = 0;
  let pending: BuildProgress | undefined;
  let timer: NodeJS.Timeout | undefined;
  const send = (progress: BuildProgress): void => {
    lastSent = Date.now();
    lastFailed = progress.counts.failed;
    pending = undefined;
    operation.progress({
      done: progress.done,
      total: progress.total,
      bytes: progress.bytes,
      ...(progress.current ? { current: progress.current } : {}),
      counts: { ...progress.counts },
      ...(progress.warnings ? { warnings: progress.warnings } : {}),
    });
  };
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending) send(pending);
  };
  return {
    push: (progress) => {
      // The first report, every failure and the last asset go out at once; the rest at most once per interval.
      if (Date.now() - lastSent >= PROGRESS_INTERVAL_MS || progress.counts.failed !== lastFailed || progress.done === progress.total) {
        if (timer) clearTimeout(timer);
        timer = undefined;
        send(progress);
        return;
      }
      pending = progress;
      timer ??= setTimeout(flush, PROGRESS_INTERVAL_MS - (Date.now() - lastSent));
    },
    flush,
  };
}
