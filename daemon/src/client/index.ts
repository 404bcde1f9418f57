// @deprecated: the client library is its own package now. Import '@packer/client' (Node) instead; this shim
// keeps older imports working until the last of them has moved, then goes.
export * from '@packer/client';
// The old name: here `DaemonClient` was the project client. In @packer/client, `DaemonClient` is the one
// connector-based class and `ProjectClient` the Node subclass that finds or starts the project's daemon.
export { ProjectClient as DaemonClient, type ProjectClientOptions as DaemonClientOptions } from '@packer/client';
