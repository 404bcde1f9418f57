import type { MethodResult } from '@packer/core/contract';
import type { RpcConnection } from './rpc-connection.js';

/**
 * Waits until the daemon is ready (its project open; a live daemon holds this until then) and returns `hello` with
 * the cursor as of ready: hello was answered while the daemon opened, before its start-up events, and a client that
 * follows "only what happens next" from hello's cursor would replay them. No deadline: a 1M-file open takes ~20 s.
 */
export async function awaitReady(
  connection: RpcConnection,
  hello: MethodResult<'daemon.hello'>,
): Promise<MethodResult<'daemon.hello'>> {
  const { cursor } = await connection.call('daemon.ready', {});
  return { ...hello, cursor };
}
