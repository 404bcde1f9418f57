// The wire both ends speak (Transport, NDJSON over a stream socket, the in-memory pair) is defined once, in the
// client library, as vscode-languageserver takes its transports from vscode-jsonrpc.
export { memoryTransportPair, socketTransport, type Transport } from '@packer/client';
