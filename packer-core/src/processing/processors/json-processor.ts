import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { minifyJson } from './json-minify.js';
import { changedDuringBuild, ProcessorFailure, type Processor } from './processor.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * `json`: validates and minifies (setting `minify: false` validates only and keeps the bytes). A syntax
 * error fails the asset with its line and column. JSON is parsed whole, so it is read whole.
 */
export const jsonProcessor: Processor = async (input) => {
  const bytes = await readFile(input.absolute, { signal: input.signal });
  if (createHash('sha256').update(bytes).digest('hex') !== input.expected.digest) throw changedDuringBuild();
  let text: string;
  try {
    // The decoder drops a leading UTF-8 byte order mark.
    text = UTF8.decode(bytes);
  } catch {
    throw new ProcessorFailure('not valid UTF-8 (JSON must be UTF-8)');
  }
  const result = minifyJson(text);
  if (!result.ok) {
    const { line, column, message } = result.error;
    throw new ProcessorFailure(`invalid JSON at line ${line}, column ${column}: ${message}`, 'PROCESSOR_FAILED', {
      line,
      column,
    });
  }
  if (input.settings.minify === false) return { type: 'passthrough', metadata: {} };
  const output = Buffer.from(result.output, 'utf8');
  return { type: 'bytes', bytes: output, digest: createHash('sha256').update(output).digest('hex'), metadata: {} };
};
