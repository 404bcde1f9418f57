import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured log: one JSON object a line in `.packer/daemon.log`. */
export class DaemonLogger {
  constructor(private readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
  }

  log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    try {
      appendFileSync(this.file, JSON.stringify({ time: new Date().toISOString(), level, pid: process.pid, message, ...fields }) + '\n');
    } catch {
      // logging must never take the daemon down
    }
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.log('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.log('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.log('error', message, fields);
  }
}
