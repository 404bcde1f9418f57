import { z } from 'zod';
import { method, paging } from './method-definition.js';
import { AuditRecord } from './mutation-schema.js';
import { AUDIT_RECORD_ITEMS, PAGE_SIZES } from './runtime-constants.js';

/** The audit log of applied and refused mutations. */
export const AuditMethods = {
  'audit.list': method(
    z.object({ operationId: z.string().optional(), ...paging(PAGE_SIZES['audit.list']) }),
    z.object({
      /** The newest `limit` records (or, with `page`, the ones before the previous page), oldest first. */
      items: z.array(AuditRecord),
      /** Records matching `operationId` (or all), over all pages. */
      total: z.number().int(),
      /** Older records. */
      nextPage: z.string().optional(),
    }),
    'Audit records of applied and refused mutations, newest page first, oldest first within a page. Each record ' +
      `keeps its first ${AUDIT_RECORD_ITEMS} registry and filesystem mutations; its \`changes\` count them all.`,
  ),
} as const;
