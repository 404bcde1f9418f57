// `@packer/client/pipelined`: requests sent to a project's running daemon before anything else loads (Node
// built-ins, and the contract's runtime helpers for errors), for commands whose start-up would otherwise come
// before the daemon's work (`packer status`, `packer set`).
export {
  openPipelined,
  pipelinedCalls,
  pipelinedResults,
  type PipelinedCall,
  type PipelinedError,
  type PipelinedReply,
  type PipelinedSession,
} from './node/pipelined-calls.js';
export { connectionLostError, fromRpcError } from './common/rpc-error.js';
