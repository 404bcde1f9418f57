import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_RECORD_ITEMS } from '../contract/runtime-constants.js';
import type { AuditRecord } from '../contract/mutation-schema.js';
import { makeTempDir } from '../testing/temp-dirs.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { AUDIT_CHANGE_PATHS } from './audit-changes.js';
import { AuditLog } from './audit-log.js';

const open: Workspace[] = [];
afterEach(async () => {
  for (const ws of open.splice(0)) await ws.close();
});

function record(index: number, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, index)).toISOString(),
    operationId: `op_${String(index).padStart(26, '0')}`,
    actor: { client: 'test', pid: 1 },
    // A few hundred bytes per record, as a one-asset update writes.
    scope: { type: 'update', mutation: { type: 'update', target: `assets/folder/file-${index}.png`, addTags: ['x'] } },
    result: 'applied',
    revisionBefore: index,
    revisionAfter: index + 1,
    registryMutations: [],
    filesystemMutations: [],
    ...extra,
  };
}

describe('the audit record of a big mutation', () => {
  it(
    'a 20,000-file register writes a bounded record (journal and log) that still says what changed',
    { timeout: 120_000 },
    async () => {
      const files: Record<string, string> = {};
      const paths: string[] = [];
      for (let index = 0; index < 20_000; index++) {
        const file = `assets/d${index % 50}/file-${String(index).padStart(5, '0')}.txt`;
        files[file] = `t${index}`;
        paths.push(file);
      }
      const root = makeTempProject(files);
      let journaledAudit = '';
      const ws = await Workspace.open(root, {
        commitHook: (point) => {
          if (point !== 'journal-written') return;
          const journal = JSON.parse(readFileSync(path.join(root, '.packer/journal.json'), 'utf8')) as {
            audit: unknown;
          };
          journaledAudit = JSON.stringify(journal.audit);
        },
      });
      open.push(ws);
      // Every path named: the mutation itself is 20,000 paths long, and so is the plan.
      const result = await ws.apply({ type: 'register', paths });
      expect(result.plan.registryMutations).toHaveLength(20_000);

      // The commit journal carries the same bounded record.
      expect(journaledAudit.length).toBeGreaterThan(0);
      expect(journaledAudit.length).toBeLessThan(16 * 1024);
      // On disk: a few KB, where the whole plan was megabytes (20,000 × ~150 bytes).
      const bytes = statSync(ws.audit.file).size;
      expect(bytes).toBeLessThan(16 * 1024);
      const [line] = readFileSync(ws.audit.file, 'utf8').trim().split('\n');
      const stored = JSON.parse(line!) as AuditRecord;
      expect(stored.registryMutations).toHaveLength(AUDIT_RECORD_ITEMS);
      expect((stored.scope.mutation as { paths: string[] }).paths).toHaveLength(AUDIT_RECORD_ITEMS);
      expect((stored.scope.mutation as { omitted: Record<string, number> }).omitted).toEqual({
        paths: 20_000 - AUDIT_RECORD_ITEMS,
      });

      // What `packer history` prints from: every change counted, the first paths named.
      const [listed] = ws.audit.list();
      expect(listed!.operationId).toBe(result.operationId);
      expect(listed!.changes).toEqual({
        registered: 20_000,
        moved: 0,
        removed: 0,
        updated: 0,
        movedFiles: 0,
        deletedFiles: 0,
        firstPaths: result.plan.registryMutations
          .slice(0, AUDIT_CHANGE_PATHS)
          .map((change) => (change.op === 'add' ? change.entry.path : '')),
      });
    },
  );
});

describe('paging the audit log', () => {
  const RECORDS = 5_000;

  function filledLog(): AuditLog {
    const log = new AuditLog(makeTempDir('packer-audit-'));
    for (let index = 1; index <= RECORDS; index++) log.append(record(index));
    return log;
  }

  it('reads a page from the end of the file, not the whole file', () => {
    const log = filledLog();
    const size = statSync(log.file).size;
    expect(size).toBeGreaterThan(1024 * 1024);
    log.readCost.bytes = 0;
    log.readCost.lines = 0;

    const page = log.page({ limit: 10 });
    expect(page.items.map((item) => item.revisionBefore)).toEqual(
      Array.from({ length: 10 }, (_, offset) => RECORDS - 9 + offset),
    );
    expect(page.total).toBe(RECORDS);
    expect(page.before).toBeDefined();
    // One 64 KiB chunk holds the page and the record that says an older page exists.
    expect(log.readCost.lines).toBeLessThanOrEqual(12);
    expect(log.readCost.bytes).toBeLessThanOrEqual(64 * 1024);

    // An older page from its token costs about a page too.
    log.readCost.bytes = 0;
    log.readCost.lines = 0;
    const older = log.page({ limit: 10, before: page.before });
    expect(older.items.at(-1)!.revisionBefore).toBe(RECORDS - 10);
    expect(log.readCost.lines).toBeLessThanOrEqual(12);
    expect(log.readCost.bytes).toBeLessThanOrEqual(2 * 64 * 1024);
  });

  it('pages every record once, in order, while records are appended between pages', () => {
    const log = filledLog();
    const seen: number[] = [];
    let before: number | undefined;
    let pages = 0;
    do {
      const page = log.page({ limit: 700, before });
      seen.unshift(...page.items.map((item) => item.revisionBefore));
      before = page.before;
      // Appended after the first page: later pages are unaffected.
      if (pages++ === 0) log.append(record(RECORDS + 1));
    } while (before !== undefined);
    expect(seen).toEqual(Array.from({ length: RECORDS }, (_, index) => index + 1));
    expect(log.page({ limit: 1 }).total).toBe(RECORDS + 1);
  });

  it('counts a log written before records were numbered, and numbers on from there', () => {
    const stateDir = makeTempDir('packer-audit-');
    const lines = Array.from({ length: 30 }, (_, index) => JSON.stringify(record(index + 1)));
    // A torn last line from a crash is skipped.
    writeFileSync(path.join(stateDir, 'audit.ndjson'), lines.join('\n') + '\n{"time":"20');
    const log = new AuditLog(stateDir);
    expect(log.page({ limit: 5 }).total).toBe(30);
    log.append(record(31));
    const reopened = new AuditLog(stateDir);
    const page = reopened.page({ limit: 5 });
    expect(page.total).toBe(31);
    expect(page.items.map((item) => item.revisionBefore)).toEqual([27, 28, 29, 30, 31]);
  });

  it('finds one operation’s records and skips a second applied record of it (recovery re-running)', () => {
    const log = filledLog();
    log.append(record(RECORDS));
    expect(log.page({ limit: 1 }).total).toBe(RECORDS);
    const page = log.page({ limit: 10, operationId: record(42).operationId });
    expect(page.total).toBe(1);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).not.toHaveProperty('seq');
  });
});
