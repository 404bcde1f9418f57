import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { CacheRow } from './output-cache-index.js';

const LOG = /^index-(\d+)\.log$/;

/**
 * The rows of the index an earlier version kept in `index.json` plus its append-only `index-<generation>.log`
 * (a torn last line ends the replay; logs of other generations are stale), or undefined when there is none.
 * A damaged file gives what could be read: it is only a cache.
 */
export function readLegacyIndex(dir: string): Map<string, CacheRow> | undefined {
  const indexFile = path.join(dir, 'index.json');
  const logs = existsSync(dir) ? readdirSync(dir).filter((name) => LOG.test(name)) : [];
  if (!existsSync(indexFile) && logs.length === 0) return undefined;
  const rows = new Map<string, CacheRow>();
  let generation = 0;
  try {
    const parsed = JSON.parse(readFileSync(indexFile, 'utf8')) as {
      version?: number;
      generation?: number;
      rows?: Record<string, CacheRow>;
    };
    if (parsed.version === 2 && parsed.rows) {
      for (const [key, row] of Object.entries(parsed.rows)) if (isRow(row)) rows.set(key, row);
      generation = Number.isSafeInteger(parsed.generation) ? parsed.generation! : 0;
    }
  } catch {
    // Missing or damaged: whatever the log holds.
  }
  const log = logs.find((name) => Number(LOG.exec(name)![1]) === generation);
  for (const line of log ? readFileSync(path.join(dir, log), 'utf8').split('\n') : []) {
    if (!line) continue;
    let change: [string, CacheRow | null];
    try {
      change = JSON.parse(line) as [string, CacheRow | null];
    } catch {
      break;
    }
    if (!Array.isArray(change) || typeof change[0] !== 'string') break;
    if (change[1] && isRow(change[1])) rows.set(change[0], change[1]);
    else rows.delete(change[0]);
  }
  return rows;
}

/** Removes `index.json` and its logs once their rows are in the store. */
export function removeLegacyIndex(dir: string): void {
  rmSync(path.join(dir, 'index.json'), { force: true });
  for (const name of readdirSync(dir)) if (LOG.test(name)) rmSync(path.join(dir, name), { force: true });
}

function isRow(row: unknown): row is CacheRow {
  return (
    Array.isArray(row) &&
    row.length === 6 &&
    typeof row[0] === 'string' &&
    Number.isSafeInteger(row[1]) &&
    typeof row[2] === 'number' &&
    Number.isSafeInteger(row[4]) &&
    Number.isSafeInteger(row[5])
  );
}
