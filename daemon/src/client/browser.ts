// Browser-safe client entry: no Node built-ins. A Studio hosted in a browser reaches the daemon over the
// loopback WebSocket listener with a connector it builds from a URL and token.
export { DaemonClient, type ClientState, type Connected, type Connector, type DaemonClientOptions, type EventSubscription, type EventSubscriptionOptions } from './daemon-client.js';
export { RpcConnection } from './rpc-connection.js';
export type { Transport } from '../rpc/transport-types.js';
