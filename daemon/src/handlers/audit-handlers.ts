import { PAGE_SIZES } from '@packer/core';
import type { ConnectionContext } from '../connection-context.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import type { DaemonServices } from './daemon-services.js';
import { decodeOffsetToken, offsetToken } from './page-token.js';

/**
 * The audit log of commit-bearing operations, paged from the newest. The log is append-only and each record is
 * bounded on disk, so a page is read from the file's end and costs what it holds; its token (the byte offset where
 * the page starts) stays valid while records are added.
 */
export function createAuditHandlers({
  workspace,
}: Pick<DaemonServices, 'workspace'>): Pick<MethodHandlers<ConnectionContext>, 'audit.list'> {
  return {
    'audit.list': (params) => {
      const page = workspace.audit.page({
        limit: params.limit ?? PAGE_SIZES['audit.list'].default,
        before: params.page ? decodeOffsetToken(params.page, 'audit') : undefined,
        operationId: params.operationId,
      });
      return {
        items: page.items,
        total: page.total,
        ...(page.before !== undefined ? { nextPage: offsetToken('audit', page.before) } : {}),
      };
    },
  };
}
