import { PackerError } from '../../contract/errors.js';
import type { EntryMetadata } from '../../contract/build-schema.js';
import type { SettingValue } from '../../contract/registry-schema.js';

/** What a processor gets for one asset. */
export interface ProcessorInput {
  /** Absolute path of the source file. */
  absolute: string;
  /** What the pinned snapshot observed: a processor that reads the file checks the bytes against it. */
  expected: { size: number; digest: string };
  settings: Readonly<Record<string, SettingValue>>;
  signal: AbortSignal;
  /** A fresh path in the cache's scratch folder, for an output written as a file. */
  scratchFile(suffix?: string): string;
}

/** What a processor produced. */
export type ProcessorOutput =
  /** The output is the input file, unchanged (copy, image): nothing is stored; the pack writer checks its digest. */
  | { type: 'passthrough'; metadata: EntryMetadata }
  /** Output bytes in memory (small outputs). */
  | { type: 'bytes'; bytes: Uint8Array; digest: string; metadata: EntryMetadata }
  /** Output written to a file in the scratch folder; hashed on store unless the digest is given. */
  | { type: 'file'; file: string; digest?: string; metadata: EntryMetadata };

/** A processor's failure on one asset: becomes a PROCESSOR_FAILED (or CHANGED_DURING_BUILD) diagnostic. */
export class ProcessorFailure extends Error {
  constructor(
    message: string,
    readonly code: 'PROCESSOR_FAILED' | 'CHANGED_DURING_BUILD' = 'PROCESSOR_FAILED',
    readonly position?: { line: number; column: number },
    /** For CHANGED_DURING_BUILD: whether the input was deleted or its bytes changed. */
    readonly change?: InputChange,
  ) {
    super(message);
    this.name = 'ProcessorFailure';
  }
}

/** What happened to an asset's input after the build pinned its snapshot. */
export type InputChange = 'changed' | 'deleted';

/**
 * The input is not what the pinned snapshot saw: the asset fails (its packs keep their old version) and the
 * diagnostic says which of the two happened, since a deleted file needs more than another build.
 */
export function changedDuringBuild(change: InputChange = 'changed'): ProcessorFailure {
  return new ProcessorFailure(
    change === 'deleted' ? 'was deleted while the build was running' : 'changed while the build was running',
    'CHANGED_DURING_BUILD',
    undefined,
    change,
  );
}

export type Processor = (input: ProcessorInput) => Promise<ProcessorOutput>;

/** The error a cancelled build ends with: the abort reason when it is a PackerError (the lane's says why). */
export function cancelledError(signal: AbortSignal | undefined): PackerError {
  const reason: unknown = signal?.reason;
  return reason instanceof PackerError && reason.code === 'CANCELLED'
    ? reason
    : new PackerError('CANCELLED', 'The build was cancelled.');
}

/** Throws CANCELLED once the build's signal is aborted. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw cancelledError(signal);
}
