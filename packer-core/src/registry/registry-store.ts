import { existsSync, lstatSync, readFileSync } from 'node:fs';
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

/**
 * Reads, validates and atomically writes `packer.registry.json`. Never overwrites an invalid registry, and never
 * writes one it would refuse to read: every text it writes passes the reader's own `parseRegistry` first.
 */
export class RegistryStore {
  readonly file: string;
  /** The last text `serialize` produced and validated, so writing it does not parse it a second time. */
  private validated: string | undefined;

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

  /**
   * Atomic write of already-serialised bytes (temp, fsync, rename, fsync folder), keeping the file's mode.
   * Throws INVALID_PATH or INVALID_REGISTRY, writing nothing, when the reader would refuse the text.
   */
  writeText(text: string): void {
    if (text !== this.validated) this.assertReadable(text);
    writeFileAtomic(this.file, text);
  }

  /**
   * The bytes a commit is about to write, checked before anything happens: REGISTRY_READ_ONLY when the file has
   * no owner write bit (a 0444 registry is never silently replaced), INVALID_PATH or INVALID_REGISTRY when the
   * packer could not read the result back.
   */
  serialize(entries: readonly RegistryEntry[]): string {
    this.assertWritable();
    const text = serializeRegistry(entries);
    this.assertReadable(text);
    this.validated = text;
    return text;
  }

  private assertWritable(): void {
    let mode: number;
    try {
      mode = lstatSync(this.file).mode;
    } catch {
      return; // no registry yet: the first write creates it
    }
    // Permission bits, not access(2): root may write anything, and a read-only registry should stop root too.
    if ((mode & 0o200) === 0) {
      const octal = (mode & 0o777).toString(8).padStart(4, '0');
      throw new PackerError('REGISTRY_READ_ONLY', `${this.file} is read-only (mode ${octal}), so the packer will not replace it.`, {
        file: this.file,
        mode: octal,
        hint: `Nothing was changed. Make it writable (\`chmod u+w ${REGISTRY_FILE}\`) and retry, or leave it read-only to keep the registry frozen.`,
      });
    }
  }

  private assertReadable(text: string): void {
    try {
      parseRegistry(text, this.file, this.projectRoot);
    } catch (error) {
      const cause = toPackerError(error);
      const pathProblem = cause.data.diagnostic === 'INVALID_PATH' || cause.data.diagnostic === 'PATH_OUTSIDE_PROJECT';
      throw new PackerError(pathProblem ? 'INVALID_PATH' : 'INVALID_REGISTRY', `Refused to write a registry the packer could not read back: ${cause.message}`, {
        ...cause.data,
        hint: `Nothing was written; ${REGISTRY_FILE} is unchanged. ${String(cause.data.hint ?? 'This is a packer bug: please report it with the operation that caused it.')}`,
      }, { cause });
    }
  }
}
