import { PackerError } from '../contract/errors.js';
import type { BuiltinProcessor } from '../contract/config-schema.js';
import { toAbsolute } from '../paths/project-path.js';
import type { CachedOutput, OutputCache } from './output-cache.js';
import type { PlannedEntry } from './plan-build.js';
import { copyProcessor } from './processors/copy-processor.js';
import { imageProcessor } from './processors/image-processor.js';
import { jsonProcessor } from './processors/json-processor.js';
import {
  cancelledError,
  changedDuringBuild,
  ProcessorFailure,
  type Processor,
  type ProcessorInput,
} from './processors/processor.js';
import { textProcessor } from './processors/text-processor.js';
import { runTool } from './processors/tool-processor.js';

const BUILTINS: Record<BuiltinProcessor, Processor> = {
  copy: copyProcessor,
  json: jsonProcessor,
  text: textProcessor,
  image: imageProcessor,
};

/**
 * Runs an asset's processor and stores the output in the cache under the entry's key. Throws
 * ProcessorFailure for a failure of this asset, PackerError('CANCELLED') when the signal aborts.
 */
export async function processAsset(
  entry: PlannedEntry,
  cache: OutputCache,
  projectRoot: string,
  signal: AbortSignal,
): Promise<CachedOutput> {
  const input: ProcessorInput = {
    absolute: toAbsolute(projectRoot, entry.path),
    expected: { size: entry.size, digest: entry.inputDigest },
    settings: entry.settings,
    signal,
    scratchFile: (suffix) => cache.scratchFile(suffix),
  };
  let output;
  try {
    const { processor } = entry;
    output =
      processor.type === 'tool'
        ? await runTool(processor.id, processor.tool, input, cache.scratchDir)
        : await BUILTINS[processor.id](input);
  } catch (error) {
    if (error instanceof ProcessorFailure || error instanceof PackerError) throw error;
    if (signal.aborted) throw cancelledError(signal);
    const code = (error as NodeJS.ErrnoException).code;
    // The snapshot saw the file (or a folder above it): it went away since.
    if (code === 'ENOENT' || code === 'ENOTDIR') throw changedDuringBuild('deleted');
    throw new ProcessorFailure(`cannot process the file: ${code ?? (error as Error).message}`);
  }
  switch (output.type) {
    case 'passthrough':
      return cache.recordPassthrough(entry.cacheKey, {
        digest: entry.inputDigest,
        size: entry.size,
        metadata: output.metadata,
      });
    case 'bytes':
      return cache.storeBytes(entry.cacheKey, output.bytes, output.metadata, output.digest);
    case 'file':
      return cache.storeFile(entry.cacheKey, output.file, output.metadata, output.digest);
  }
}
