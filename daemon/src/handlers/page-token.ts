import { PackerError } from '@packer/core';

/** One page of a list and the token of the next, if any. */
export interface Page<T> {
  total: number;
  items: T[];
  nextPage?: string;
}

/**
 * A page of a list read from one snapshot revision. The token is `<revision>:<offset>`: a token from another
 * revision is a CONFLICT (the list changed; list again from the first page).
 */
export function snapshotPage<T>(
  all: readonly T[],
  revision: number,
  params: { limit?: number | undefined; page?: string | undefined },
  defaultLimit: number,
): Page<T> {
  const offset = params.page ? decodeRevisionPage(params.page, revision) : 0;
  const limit = params.limit ?? defaultLimit;
  const page: Page<T> = { total: all.length, items: all.slice(offset, offset + limit) };
  if (offset + limit < all.length) page.nextPage = `${revision}:${offset + limit}`;
  return page;
}

function decodeRevisionPage(page: string, revision: number): number {
  const match = /^(\d+):(\d+)$/.exec(page);
  if (!match) throw invalidPage(page);
  if (Number(match[1]) !== revision) {
    throw new PackerError(
      'CONFLICT',
      `The page token is for revision ${match[1]}, but the snapshot is at revision ${revision}.`,
      {
        expectedRevision: Number(match[1]),
        currentRevision: revision,
        page,
        hint: 'List again from the first page.',
      },
    );
  }
  return Number(match[2]);
}

/** A token for a list that never changes under it (a kept plan, the append-only audit log): `<tag>:<offset>`. */
export function offsetToken(tag: string, offset: number): string {
  return `${tag}:${offset}`;
}

/** The offset in an `offsetToken`; INVALID_PARAMS when the token is not one of ours for this list. */
export function decodeOffsetToken(page: string, tag: string): number {
  const match = /^(.+):(\d+)$/.exec(page);
  if (!match || match[1] !== tag) throw invalidPage(page);
  return Number(match[2]);
}

function invalidPage(page: string): PackerError {
  return new PackerError(
    'INVALID_PARAMS',
    `Invalid page token ${JSON.stringify(page)}: pass the "nextPage" value of the previous answer.`,
    { page },
  );
}
