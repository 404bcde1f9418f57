import { describePlan, planBuild, runBuild, selectPackRules, type BuildProgress } from '@packer/core';
import { PackerError, toPackerError, type BuildReport, type MethodParams } from '@packer/core/contract';
import type { ConnectionContext } from '../connection-context.js';
import type { OperationContext } from '../lane/operation-lane.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import type { DaemonServices } from './daemon-services.js';
import { collectGarbage } from '../process/collect-garbage.js';

type BuildMethod = 'build.preview' | 'build.start' | 'build.run';

/** Progress events of a build are coalesced to one per this many ms (counts are cumulative, so none is lost). */
const PROGRESS_INTERVAL_MS = 50;

/** Builds: a lane operation each (never interleaved with a mutation), after catching up with the disk. */
export function createBuildHandlers(
  services: Pick<DaemonServices, 'workspace' | 'lane' | 'catchUpWithDisk' | 'publishState' | 'buildCrashHook'>,
): Pick<MethodHandlers<ConnectionContext>, BuildMethod> {
  const { workspace, lane } = services;
  const enqueue = (params: MethodParams<'build.start'>, context: ConnectionContext) => {
    // An unknown pack name is an error of the request, before anything is queued.
    selectPackRules(workspace.config, params.packs);
    return lane.enqueue<BuildReport>({
      kind: 'build',
      summary: params.packs ? `build ${params.packs.join(', ')}` : 'build all packs',
      actor: context.actor,
      run: async (operation) => {
        await services.catchUpWithDisk('pre-build');
        const progress = coalescedProgress(operation);
        try {
          const report = await runBuild(workspace, {
            packs: params.packs,
            signal: operation.signal,
            onProgress: progress.push,
            operationId: operation.operationId,
            crashHook: services.buildCrashHook,
            releaseMemory: collectGarbage,
          });
          return { revisionAfter: report.revisionAfter, result: report };
        } finally {
          progress.flush();
          services.publishState('build');
        }
      },
    });
  };
  return {
    'build.preview': async (params) => {
      await services.catchUpWithDisk('pre-build');
      return describePlan(planBuild(workspace.state, { packs: params.packs }));
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
        throw new PackerError(
          packerError.code,
          packerError.message,
          { ...packerError.data, operationId },
          { cause: error },
        );
      }
    },
  };
}

/** Forwards build progress as lane progress events, at most one per interval, always the latest and the last. */
function coalescedProgress(operation: OperationContext): {
  push: (progress: BuildProgress) => void;
  flush: () => void;
} {
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
      ...(progress.remote ? { remote: progress.remote } : {}),
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
      if (
        Date.now() - lastSent >= PROGRESS_INTERVAL_MS ||
        progress.counts.failed !== lastFailed ||
        progress.done === progress.total
      ) {
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
