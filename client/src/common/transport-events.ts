import type { Transport } from './transport.js';

/** Bytes buffered for a peer that does not read before it is dropped (every stream transport). */
export const MAX_UNREAD_BYTES = 64 * 1024 * 1024;

/** The listener half of a Transport, shared by the socket and WebSocket transports. */
export class TransportEvents {
  private readonly messageListeners: ((message: string) => void)[] = [];
  private readonly closeListeners: ((error?: Error) => void)[] = [];
  private readonly framingListeners: ((error: Error) => void)[] = [];

  readonly onMessage: Transport['onMessage'] = (listener) => void this.messageListeners.push(listener);
  readonly onClose: Transport['onClose'] = (listener) => void this.closeListeners.push(listener);
  readonly onFramingError: Transport['onFramingError'] = (listener) => void this.framingListeners.push(listener);

  message(text: string): void {
    for (const listener of this.messageListeners) listener(text);
  }

  closed(error?: Error): void {
    for (const listener of this.closeListeners) listener(error);
  }

  framingError(error: Error): void {
    for (const listener of this.framingListeners) listener(error);
  }
}
