/**
 * A message-oriented, bidirectional channel carrying JSON-RPC texts. The daemon serves every transport the
 * same way: a Unix socket, an in-memory pair (`--no-daemon`), a WebSocket.
 */
export interface Transport {
  /** Sends one JSON text. Returns false when the peer is slow; wait for `onDrain` before more optional sends. */
  send(message: string): boolean;
  onMessage(listener: (message: string) => void): void;
  onDrain(listener: () => void): () => void;
  onClose(listener: (error?: Error) => void): void;
  /** Frames that broke the framing rules (too large); the transport closes after reporting. */
  onFramingError(listener: (error: Error) => void): void;
  close(): void;
  readonly closed: boolean;
}
