import type { FileHandle } from 'node:fs/promises';

/** Dimensions read from an image header. */
export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
// Start-of-frame markers (baseline, progressive, lossless, arithmetic): they carry the dimensions.
const JPEG_SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const MAX_JPEG_MARKERS = 10_000;

/**
 * Reads width and height from a PNG IHDR chunk or a JPEG start-of-frame segment, with small positional
 * reads (segments before the frame, e.g. EXIF, are skipped, not read). Undefined when neither format fits.
 */
export async function readImageHeader(handle: FileHandle): Promise<ImageHeader | undefined> {
  const read = async (position: number, length: number): Promise<Buffer> => {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  };
  const head = await read(0, 24);
  if (head.length >= 24 && head.subarray(0, 8).equals(PNG_SIGNATURE) && head.toString('latin1', 12, 16) === 'IHDR') {
    return { format: 'png', width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
  }
  if (head.length < 4 || head[0] !== 0xff || head[1] !== 0xd8) return undefined;
  let position = 2;
  for (let markers = 0; markers < MAX_JPEG_MARKERS; markers++) {
    const marker = await read(position, 4);
    if (marker.length < 2 || marker[0] !== 0xff) return undefined;
    const code = marker[1]!;
    // Fill bytes (0xFF 0xFF) and standalone markers carry no length.
    if (code === 0xff) {
      position += 1;
      continue;
    }
    if (code === 0x01 || (code >= 0xd0 && code <= 0xd8)) {
      position += 2;
      continue;
    }
    if (marker.length < 4 || code === 0xd9 || code === 0xda) return undefined;
    if (JPEG_SOF.has(code)) {
      const frame = await read(position + 4, 5);
      if (frame.length < 5) return undefined;
      return { format: 'jpeg', height: frame.readUInt16BE(1), width: frame.readUInt16BE(3) };
    }
    position += 2 + marker.readUInt16BE(2);
  }
  return undefined;
}
