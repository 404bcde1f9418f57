import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import {
  changedDuringBuild,
  ProcessorFailure,
  throwIfCancelled,
  type Processor,
  type ProcessorInput,
  type ProcessorOutput,
} from './processor.js';

const CHUNK = 1 << 20;
// Smaller files are converted in memory; larger ones stream through a scratch file in CHUNK pieces.
const IN_MEMORY_LIMIT = 8 << 20;

/**
 * `text`: decodes the `encoding` setting (default UTF-8; invalid bytes fail the asset), drops a byte order
 * mark, turns CRLF and lone CR into LF, and writes UTF-8. Files over 8 MiB stream in 1 MiB chunks, so any
 * size fits in memory.
 */
export const textProcessor: Processor = async (input) => {
  const encoding = String(input.settings.encoding ?? 'utf-8');
  if (input.expected.size <= IN_MEMORY_LIMIT) return convertInMemory(input, encoding);
  return convertStreaming(input, encoding);
};

async function convertInMemory(input: ProcessorInput, encoding: string): Promise<ProcessorOutput> {
  const bytes = await readFile(input.absolute, { signal: input.signal });
  if (createHash('sha256').update(bytes).digest('hex') !== input.expected.digest) throw changedDuringBuild();
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ProcessorFailure(`not valid ${encoding} text`);
  }
  const output = Buffer.from(text.replace(/\r\n?/g, '\n'), 'utf8');
  return { type: 'bytes', bytes: output, digest: createHash('sha256').update(output).digest('hex'), metadata: {} };
}

async function convertStreaming(input: ProcessorInput, encoding: string): Promise<ProcessorOutput> {
  // ignoreBOM: false makes the decoder drop a leading byte order mark.
  const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: false });
  const inputHash = createHash('sha256');
  const outputHash = createHash('sha256');
  const file = input.scratchFile('.txt');
  const source = await open(input.absolute, 'r');
  const target = await open(file, 'w').catch(async (error: unknown) => {
    await source.close();
    throw error;
  });
  const buffer = Buffer.allocUnsafe(CHUNK);
  let pendingCR = false;
  try {
    for (;;) {
      throwIfCancelled(input.signal);
      const { bytesRead } = await source.read(buffer, 0, CHUNK, null);
      const final = bytesRead === 0;
      const chunk = buffer.subarray(0, bytesRead);
      inputHash.update(chunk);
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: !final });
      } catch {
        throw new ProcessorFailure(`not valid ${encoding} text`);
      }
      // A CR at the end of a chunk may be the first half of a CRLF: hold it until the next chunk.
      text = (pendingCR ? '\r' : '') + text;
      pendingCR = !final && text.endsWith('\r');
      if (pendingCR) text = text.slice(0, -1);
      const normalized = Buffer.from(text.replace(/\r\n?/g, '\n'), 'utf8');
      outputHash.update(normalized);
      await target.write(normalized);
      if (final) break;
    }
    if (inputHash.digest('hex') !== input.expected.digest) throw changedDuringBuild();
  } catch (error) {
    await target.close();
    rmSync(file, { force: true });
    throw error;
  } finally {
    await source.close();
  }
  await target.close();
  return { type: 'file', file, digest: outputHash.digest('hex'), metadata: {} };
}
