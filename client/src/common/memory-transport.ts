import type { Transport } from './transport.js';

/** Two connected in-memory transports (for running the daemon's server in-process). Delivery is async, in order. */
export function memoryTransportPair(): [Transport, Transport] {
  const make = () => ({
    messageListeners: [] as ((message: string) => void)[],
    closeListeners: [] as ((error?: Error) => void)[],
    closed: false,
  });
  const a = make();
  const b = make();
  const side = (self: typeof a, peer: typeof a): Transport => ({
    send: (message) => {
      if (self.closed) return false;
      queueMicrotask(() => {
        if (!peer.closed) for (const listener of peer.messageListeners) listener(message);
      });
      return true;
    },
    onMessage: (listener) => void self.messageListeners.push(listener),
    onDrain: () => () => undefined,
    onClose: (listener) => void self.closeListeners.push(listener),
    onFramingError: () => undefined,
    close: () => {
      for (const end of [self, peer]) {
        if (end.closed) continue;
        end.closed = true;
        queueMicrotask(() => end.closeListeners.forEach((listener) => listener()));
      }
    },
    get closed() {
      return self.closed;
    },
  });
  return [side(a, b), side(b, a)];
}
