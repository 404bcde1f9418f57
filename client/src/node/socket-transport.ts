import type { Socket } from 'node:net';
import { MAX_FRAME_BYTES } from '@packer/core/contract/runtime';
import type { Transport } from '../common/transport.js';
import { MAX_UNREAD_BYTES, TransportEvents } from '../common/transport-events.js';
import { FrameTooLargeError, NdjsonDecoder } from './ndjson-decoder.js';

/** A Transport over a stream socket with NDJSON framing and a frame cap. */
export function socketTransport(socket: Socket, maxFrameBytes = MAX_FRAME_BYTES): Transport {
  const decoder = new NdjsonDecoder(maxFrameBytes);
  const events = new TransportEvents();
  let closed = false;
  let lastError: Error | undefined;
  socket.on('data', (chunk: Buffer) => {
    let frames: string[];
    try {
      frames = decoder.push(chunk);
    } catch (error) {
      if (error instanceof FrameTooLargeError) {
        events.framingError(error);
        socket.end();
        socket.destroySoon?.();
        return;
      }
      throw error;
    }
    for (const frame of frames) events.message(frame);
  });
  socket.on('error', (error) => (lastError = error));
  socket.on('close', () => {
    closed = true;
    events.closed(lastError);
  });
  return {
    send: (message) => {
      if (closed || socket.destroyed) return false;
      // A peer that never reads must not grow our memory without bound: past the cap it is dropped.
      if (socket.writableLength > MAX_UNREAD_BYTES) {
        socket.destroy(new Error('peer is not reading'));
        return false;
      }
      return socket.write(message + '\n');
    },
    onMessage: events.onMessage,
    onDrain: (listener) => {
      socket.on('drain', listener);
      return () => socket.off('drain', listener);
    },
    onClose: events.onClose,
    onFramingError: events.onFramingError,
    close: () => {
      if (socket.destroyed) return;
      socket.end();
      // A closed connection keeps no process alive: a CLI run exits once its answer is out, without waiting for the
      // daemon's side of the close (the kernel still delivers what was written, then the FIN). Waiting cost a status
      // one more turn of the daemon's event loop, 30 ms and more when the daemon or the machine was busy.
      socket.unref();
      // A peer that never finishes the close (a stopped or hung daemon) must not hold the socket open forever.
      setTimeout(() => socket.destroy(), 1_000).unref();
    },
    get closed() {
      return closed;
    },
  };
}
