import { AUDIT_RECORD_ITEMS, PAGE_SIZES, type AuditRecord } from '@packer/core';
import type { ConnectionContext } from '../connection-context.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import type { DaemonServices } from './daemon-services.js';
import { decodeOffsetToken, offsetToken } from './page-token.js';

/**
 * The audit log of commit-bearing operations, paged from the newest: the log is append-only, so a token (how
 * many of the oldest records lie before the page) stays valid while records are added.
 */
export function createAuditHandlers({
  workspace,
}: Pick<DaemonServices, 'workspace'>): Pick<MethodHandlers<ConnectionContext>, 'audit.list'> {
  return {
    'audit.list': (params) => {
      const all = workspace.audit.list(params.operationId ? { operationId: params.operationId } : {});
      const limit = params.limit ?? PAGE_SIZES['audit.list'].default;
      const end = Math.min(all.length, params.page ? decodeOffsetToken(params.page, 'audit') : all.length);
      const start = Math.max(0, end - limit);
      return {
        items: all.slice(start, end).map(boundedRecord),
        total: all.length,
        ...(start > 0 ? { nextPage: offsetToken('audit', start) } : {}),
      };
    },
  };
}

/** A record whose size does not grow with its mutation: the first changes; `changes` counts all of them. */
function boundedRecord(record: AuditRecord): AuditRecord {
  const { registryMutations, filesystemMutations } = record;
  return {
    ...record,
    ...(registryMutations ? { registryMutations: registryMutations.slice(0, AUDIT_RECORD_ITEMS) } : {}),
    ...(filesystemMutations ? { filesystemMutations: filesystemMutations.slice(0, AUDIT_RECORD_ITEMS) } : {}),
  };
}
