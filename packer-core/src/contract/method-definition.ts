import { z } from 'zod';

/** Read options shared by every snapshot read. */
export const SyncRead = z.object({
  /**
   * Answer only after the daemon has seen every change made to the disk before this request
   * (read-your-writes: the daemon writes a cookie file into each watched root and waits for its event).
   */
  sync: z.boolean().optional(),
});

/** `limit` and `page` of a paged list method: `limit` defaults to and is capped by PAGE_SIZES[method]. */
export function paging(sizes: { default: number; max: number }) {
  return {
    limit: z.number().int().min(1).max(sizes.max).default(sizes.default),
    /** Opaque token from a previous page's `nextPage`. */
    page: z.string().optional(),
  };
}

/** One method of the table: its params and result schemas and the description the docs show. */
export function method<P extends z.ZodType, R extends z.ZodType>(params: P, result: R, description: string) {
  return { params, result, description };
}
