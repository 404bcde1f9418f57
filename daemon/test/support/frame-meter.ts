import net from 'node:net';
import { PROTOCOL_VERSION } from '@packer/core/contract';

/** One frame as it came off the wire: its size in bytes (newline excluded) and what it held. */
export interface MeteredFrame {
  bytes: number;
  message: {
    id?: unknown;
    method?: string;
    result?: unknown;
    error?: { code: number; message: string; data?: Record<string, unknown> };
    params?: unknown;
  };
}

/**
 * A raw JSON-RPC connection that records the byte size of every frame the daemon sends: tests assert that a
 * reply or an event stays under a bound, whatever the project's size.
 */
export class FrameMeter {
  readonly frames: MeteredFrame[] = [];
  private parts: Buffer[] = [];
  private nextId = 1;
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      let start = 0;
      for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, start)) {
        this.parts.push(chunk.subarray(start, index));
        const frame = Buffer.concat(this.parts);
        this.parts = [];
        start = index + 1;
        if (frame.length > 0)
          this.frames.push({
            bytes: frame.length,
            message: JSON.parse(frame.toString('utf8')) as MeteredFrame['message'],
          });
      }
      if (start < chunk.length) this.parts.push(Buffer.from(chunk.subarray(start)));
      for (const waiter of this.waiters.splice(0)) waiter();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const waiter of this.waiters.splice(0)) waiter();
    });
    socket.on('error', () => undefined);
  }

  /** Connects and says hello. */
  static async connect(socketPath: string): Promise<FrameMeter> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const opened = net.connect(socketPath, () => resolve(opened));
      opened.once('error', reject);
    });
    const meter = new FrameMeter(socket);
    const hello = await meter.call('daemon.hello', { client: 'frame-meter', protocolVersion: PROTOCOL_VERSION });
    if (hello.message.error) throw new Error(`hello failed: ${hello.message.error.message}`);
    return meter;
  }

  /** Sends one request; resolves with its answer frame (result or error). */
  async call(method: string, params: unknown, timeoutMs = 120_000): Promise<MeteredFrame> {
    const id = this.nextId++;
    this.socket.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    return this.waitFor((frame) => frame.message.id === id, timeoutMs, `the answer to ${method}`);
  }

  /** Resolves with the first frame (seen or still to come) that matches. */
  async waitFor(
    predicate: (frame: MeteredFrame) => boolean,
    timeoutMs = 120_000,
    what = 'a frame',
  ): Promise<MeteredFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(predicate);
      if (found) return found;
      if (this.closed) throw new Error(`the connection closed before ${what} arrived`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
