// `@packer/client`: the client library for Node, the only way the CLI and the Studio adapter reach a daemon.
// Everything of the Node-free core ('./browser'), plus the project's daemon over its Unix socket: found through
// `.packer/`, started detached when absent (or run in this process), restarted on a protocol mismatch.
export * from './browser.js';
export { ProjectClient, type ProjectClientOptions } from './node/project-client.js';
export { connectToDaemon, connectInProcess, type ConnectOptions } from './node/connect.js';
export { ensureDaemon, type EnsureDaemonOptions, type EnsuredDaemon } from './node/ensure-daemon.js';
export { findProjectRoot } from './node/find-project-root.js';
export { initProject, type InitOptions, type InitResult } from './node/init-project.js';
export { readEndpoint, daemonEntryPoint, startDaemonProcess } from './node/start-daemon.js';
export { projectFiles, type ProjectFiles } from './node/project-files.js';
export { assertSafeSocket, isPrivateFolder, unsafeSocketError } from './node/socket-folder.js';
export { isDaemonAlive } from './node/daemon-alive.js';
export {
  clipHeader,
  quoteHeader,
  isLoopbackHostHeader,
  isAllowedOrigin,
  sameSecret,
  QUOTED_HEADER_CHARS,
} from './node/loopback-request.js';
export { socketTransport } from './node/socket-transport.js';
export type { InProcessDaemon, InProcessDaemonClass } from './node/in-process-daemon.js';
