import { existsSync, lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isPackerError, PackerError, toPackerError } from '../contract/errors.js';
import type { RegistryEntry, RegistryVersion } from '../contract/registry-schema.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { readRegistry } from './registry-codec.js';
import { RegistryLines } from './registry-lines.js';

export const REGISTRY_FILE = 'packer.registry.json';

/** The registry as loaded: valid entries, or the reason it is read-only. */
export type RegistryLoad =
  | { state: 'ok'; entries: RegistryEntry[]; text: string | null }
  | { state: 'read-only'; error: PackerError; text: string };

/**
 * Reads, validates and atomically writes `packer.registry.json`. Never overwrites an invalid registry, and never
 * writes one it would refuse to read: every text it writes passes the reader's own check first (`readRegistry`,
 * or for text it serialised, the same check run line by line on what changed: see `RegistryLines`).
 * It reads formats 1 and 2 and always writes format 2, so the first write after an upgrade migrates the file.
 */
export class RegistryStore {
  readonly file: string;
  /** The last text `serialize` produced and validated, so writing it does not parse it a second time. */
  private validated: string | undefined;
  private readonly lines: RegistryLines;
  /** The last text known valid and the entries the reader gives for it, so reading back our own write costs no parse. */
  private known: { text: string; entries: RegistryEntry[] } | undefined;
  private diskVersion: RegistryVersion | undefined;

  constructor(private readonly projectRoot: string) {
    this.file = path.join(projectRoot, REGISTRY_FILE);
    this.lines = new RegistryLines(this.file, projectRoot);
  }

  /** Format of the registry on disk as last loaded or written; undefined when there is none (or it is invalid). */
  get version(): RegistryVersion | undefined {
    return this.diskVersion;
  }

  /** A missing registry is an empty one (a fresh project); an unreadable or invalid one is read-only. */
  load(): RegistryLoad {
    this.diskVersion = undefined;
    if (!existsSync(this.file)) return { state: 'ok', entries: [], text: null };
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      const cause = toPackerError(error);
      return { state: 'read-only', error: new PackerError('INVALID_REGISTRY', `Cannot read ${this.file}: ${cause.message}`, { file: this.file }), text: '' };
    }
    if (text === this.known?.text) {
      this.diskVersion = 2;
      return { state: 'ok', entries: this.known.entries, text };
    }
    try {
      const read = readRegistry(text, this.file, this.projectRoot);
      this.lines.seed(read);
      this.diskVersion = read.version;
      this.known = { text, entries: read.entries };
      return { state: 'ok', entries: read.entries, text };
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
    const version = text === this.validated ? 2 : this.assertReadable(() => readRegistry(text, this.file, this.projectRoot)).version;
    writeFileAtomic(this.file, text);
    this.diskVersion = version;
  }

  /**
   * The bytes a commit is about to write, checked before anything happens: REGISTRY_READ_ONLY when the file has
   * no owner write bit (a 0444 registry is never silently replaced), INVALID_PATH or INVALID_REGISTRY when the
   * packer could not read the result back.
   */
  serialize(entries: readonly RegistryEntry[]): string {
    this.assertWritable();
    const { text, canonical } = this.assertReadable(() => this.lines.serialize(entries));
    this.validated = text;
    this.known = { text, entries: canonical };
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

  /** Runs a validation, turning its failure into the writer's refusal. */
  private assertReadable<T>(check: () => T): T {
    try {
      return check();
    } catch (error) {
      const cause = toPackerError(error);
      const pathProblem = isPackerError(cause, 'INVALID_REGISTRY') && (cause.data.diagnostic === 'INVALID_PATH' || cause.data.diagnostic === 'PATH_OUTSIDE_PROJECT');
      throw new PackerError(pathProblem ? 'INVALID_PATH' : 'INVALID_REGISTRY', `Refused to write a registry the packer could not read back: ${cause.message}`, {
        ...cause.data,
        hint: `Nothing was written; ${REGISTRY_FILE} is unchanged. ${String(cause.data.hint ?? 'This is a packer bug: please report it with the operation that caused it.')}`,
      }, { cause });
    }
  }
}
