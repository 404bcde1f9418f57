export interface EventLogOptions {
  /** A segment is closed and a new one started once the next record would take it past this size. Default 4 MiB. */
  segmentBytes?: number;
  /** Segments kept on disk, the current one included; older ones are deleted. Default 8. */
  maxSegments?: number;
  /** Recent events kept in memory to serve replays without touching disk. Default 1024. */
  tailSize?: number;
  /**
   * Non-fatal trouble: an `onAppend` listener that threw (the append and the other listeners go on) or a rotated-out
   * segment that could not be deleted. Default: a process warning.
   */
  onError?: (error: unknown) => void;
  /**
   * Bytes of events kept in memory while the disk refuses them (a full disk), to be written in order once it
   * takes them again. Past this the oldest held events are given up, leaving a gap in the seqs on disk. Default 8 MiB.
   */
  pendingBytes?: number;
}

/** The options with every default filled in. */
export type ResolvedEventLogOptions = Required<EventLogOptions>;

/** Fills in the defaults and checks the sizes, in declaration order, throwing a RangeError for the first bad one. */
export function resolveEventLogOptions(options: EventLogOptions): ResolvedEventLogOptions {
  return {
    segmentBytes: positiveInteger('segmentBytes', options.segmentBytes ?? 4 * 1024 * 1024),
    maxSegments: positiveInteger('maxSegments', options.maxSegments ?? 8),
    tailSize: positiveInteger('tailSize', options.tailSize ?? 1024),
    pendingBytes: positiveInteger('pendingBytes', options.pendingBytes ?? 8 * 1024 * 1024),
    onError: options.onError ?? ((error) => process.emitWarning(`event log: ${String(error)}`)),
  };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Expected the \`${name}\` option to be a positive integer, got ${String(value)}`);
  }
  return value;
}
