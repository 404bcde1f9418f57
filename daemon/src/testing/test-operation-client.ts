import net from 'node:net';
import { projectFiles, RpcConnection, socketTransport } from '@packer/client';
import { TEST_OPERATION_METHOD, type TestOperationParams } from './test-operation.js';

/**
 * Starts `test.longOperation` on the project's running test daemon over a connection of its own (the
 * contract's clients only call contract methods) and resolves with its operation id.
 */
export async function callTestOperation(projectRoot: string, params: TestOperationParams, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { socketPath } = projectFiles(projectRoot, env);
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const opened = net.connect(socketPath, () => resolve(opened));
    opened.once('error', reject);
  });
  const connection = new RpcConnection(socketTransport(socket));
  try {
    const { operationId } = (await connection.callRaw(TEST_OPERATION_METHOD, params)) as { operationId: string };
    return operationId;
  } finally {
    connection.close();
  }
}
