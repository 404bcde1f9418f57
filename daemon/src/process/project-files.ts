// The daemon keeps its runtime files where its clients look for them: one definition, in the client library.
export { projectFiles, type ProjectFiles } from '@packer/client';
export { ensureSocketDir } from './socket-dir.js';
