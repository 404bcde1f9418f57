import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PackerError, toPackerError } from '../contract/errors.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { parseRegistry, serializeRegistry } from './registry-codec.js';

export const REGISTRY_FILE = 'packer.registry.json';

/** The registry as loaded: valid entries, or the reason it is read-only. */
export type RegistryLoad =
  | { state: 'ok'; entries: RegistryEntry[]; text: string | null }
  | { state: 'read-only'; error: PackerError; text: string };

/** Reads, validates and atomically writes `packer.registry.json`. Never overwrites an invalid registry. */
export class RegistryStore {
  readonly file: string;

  constructor(private readonly projectRoot: string) {
    this.file = path.join(projectRoot, REGISTRY_FILE);
  }

  /** A missing registry is an empty one (a fresh project); an unreadable or invalid one is read-only. */
  load(): RegistryLoad {
    if (!existsSync(this.file)) return { state: 'ok', entries: [], text: null };
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      const cause = toPackerError(error);
      return { state: 'read-only', error: new PackerError('INVALID_REGISTRY', `Cannot read ${this.file}: ${cause.message}`, { file: this.file }), text: '' };
    }
    try {
      return { state: 'ok', entries: parseRegistry(text, this.file, this.projectRoot), text };
    } catch (error) {
      return { state: 'read-only', error: toPackerError(error), text };
    }
  }

  /** Current bytes on disk, or null when there is no registry file. */
  readText(): string | null {
    return existsSync(this.file) ? readFileSync(this.file, 'utf8') : null;
  }

  /** Atomic write of already-serialised bytes (temp, fsync, rename, fsync folder). */
  writeText(text: string): void {
    writeFileAtomic(this.file, text);
  }

  serialize(entries: readonly RegistryEntry[]): string {
    return serializeRegistry(entries);
  }
}
