// The client library: the only way the CLI and the Studio adapter reach a daemon.
// Node entry. `DaemonClient` here is the project client (finds or starts the daemon); the browser-safe base
// class is in './browser'.
export { ProjectClient as DaemonClient, type ProjectClientOptions as DaemonClientOptions } from './project-client.js';
export { type ClientState, type Connected, type Connector, type EventSubscription, type EventSubscriptionOptions } from './daemon-client.js';
export { RpcConnection } from './rpc-connection.js';
export { findProjectRoot } from './find-project-root.js';
export { connectToDaemon, connectInProcess, type ConnectOptions } from './connect.js';
export { readEndpoint, daemonEntryPoint, startDaemonProcess } from './start-daemon.js';
export { projectFiles, type ProjectFiles } from '../process/project-files.js';
export { isDaemonAlive } from '../process/daemon-lock.js';
export { socketTransport, memoryTransportPair, type Transport } from '../rpc/transport.js';
export { initProject, type InitResult } from './init-project.js';
