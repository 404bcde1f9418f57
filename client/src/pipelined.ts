// `@packer/client/pipelined`: requests sent to a project's running daemon before anything else loads (Node
// built-ins only), for commands whose start-up would otherwise come before the daemon's work (`packer status`).
export {
  pipelinedCalls,
  type PipelinedCall,
  type PipelinedError,
  type PipelinedReply,
} from './node/pipelined-calls.js';
