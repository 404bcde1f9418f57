import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AuditRecord } from '../contract/mutation-schema.js';

/** Append-only NDJSON audit log in `.packer/audit.ndjson`: one record per applied or refused mutation. */
export class AuditLog {
  readonly file: string;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'audit.ndjson');
  }

  /** Appends a record; a record whose operation is already logged (recovery re-running) is skipped. */
  append(record: AuditRecord): void {
    if (record.result === 'applied' && this.tail(50).some((existing) => existing.operationId === record.operationId && existing.result === 'applied')) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    appendFileSync(this.file, JSON.stringify(record) + '\n');
  }

  /** All records, oldest first; a torn last line (crash mid-append) is skipped. */
  list(options: { limit?: number; operationId?: string } = {}): AuditRecord[] {
    if (!existsSync(this.file)) return [];
    const records: AuditRecord[] = [];
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        records.push(JSON.parse(line) as AuditRecord);
      } catch {
        // torn write from a crash: ignore
      }
    }
    const filtered = options.operationId ? records.filter((record) => record.operationId === options.operationId) : records;
    return options.limit ? filtered.slice(-options.limit) : filtered;
  }

  private tail(count: number): AuditRecord[] {
    return this.list({ limit: count });
  }
}
