// The wire both ends speak (Transport, NDJSON over a stream socket, the in-memory pair) is defined once, in the
// client library, as vscode-languageserver takes its transports from vscode-jsonrpc. This re-export only serves
// imports not yet pointed at @packer/client (daemon.ts); new code imports @packer/client directly.
export { memoryTransportPair, socketTransport, type Transport } from '@packer/client';
