// The daemon keeps its runtime files where its clients look for them: one definition, in the client library.
// This module only serves imports not yet pointed at @packer/client (daemon.ts); new code imports it directly.
export { projectFiles, type ProjectFiles } from '@packer/client';
export { ensureSocketDir } from './socket-dir.js';
