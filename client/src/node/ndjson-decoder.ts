/** Thrown when one frame grows past the cap before its newline arrives. */
export class FrameTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`A frame exceeded ${limit} bytes without a newline.`);
    this.name = 'FrameTooLargeError';
  }
}

/**
 * The one framing of the protocol on stream transports: newline-delimited JSON (one JSON text per line;
 * JSON.stringify never emits a raw newline). Frames are capped so a peer cannot make us buffer without bound.
 */
export class NdjsonDecoder {
  private parts: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds bytes; returns the complete frames they finish. Throws FrameTooLargeError past the cap. */
  push(chunk: Buffer): string[] {
    const frames: string[] = [];
    let start = 0;
    for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, index);
      this.ensureRoom(piece.length);
      this.parts.push(piece);
      const frame = Buffer.concat(this.parts).toString('utf8');
      this.parts = [];
      this.buffered = 0;
      if (frame.trim().length > 0) frames.push(frame);
      start = index + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0) {
      this.ensureRoom(rest.length);
      this.parts.push(Buffer.from(rest));
      this.buffered += rest.length;
    }
    return frames;
  }

  private ensureRoom(extra: number): void {
    if (this.buffered + extra > this.maxFrameBytes) {
      this.parts = [];
      this.buffered = 0;
      throw new FrameTooLargeError(this.maxFrameBytes);
    }
  }
}

/** Encodes one message as a frame. */
export function encodeFrame(message: unknown): string {
  return JSON.stringify(message) + '\n';
}
