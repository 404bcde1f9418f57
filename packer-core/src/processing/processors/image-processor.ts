import { open } from 'node:fs/promises';
import { readImageHeader } from './image-header.js';
import { changedDuringBuild, ProcessorFailure, type Processor } from './processor.js';

/** `image`: records PNG/JPEG format, width and height as entry metadata; the bytes pass through unchanged. */
export const imageProcessor: Processor = async (input) => {
  const handle = await open(input.absolute, 'r');
  try {
    if ((await handle.stat()).size !== input.expected.size) throw changedDuringBuild();
    const header = await readImageHeader(handle);
    if (!header) throw new ProcessorFailure('not a PNG or JPEG file (the image processor reads PNG and JPEG headers)');
    return { type: 'passthrough', metadata: { format: header.format, width: header.width, height: header.height } };
  } finally {
    await handle.close();
  }
};
