// `@packer/client/browser`: the Node-free core of the client library (no Node built-in below this file). It
// speaks to a daemon over any Transport a Connector opens; a Studio in a browser brings one over the daemon's
// loopback WebSocket. The Node entry ('@packer/client') adds the Unix socket, finding and starting the daemon.
export {
  DaemonClient,
  type ClientState,
  type Connected,
  type Connector,
  type DaemonClientOptions,
  type EventSubscription,
  type EventSubscriptionOptions,
} from './common/daemon-client.js';
export { RpcConnection } from './common/rpc-connection.js';
export { awaitReady } from './common/await-ready.js';
export { fromRpcError } from './common/rpc-error.js';
export type { Transport } from './common/transport.js';
export { MAX_UNREAD_BYTES, TransportEvents } from './common/transport-events.js';
export { memoryTransportPair } from './common/memory-transport.js';
