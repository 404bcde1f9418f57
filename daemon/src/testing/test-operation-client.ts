import net from 'node:net';
import { projectFiles, RpcConnection, socketTransport } from '@packer/client';
import { TEST_OPERATION_METHOD, type TestOperationParams } from './test-operation.js';

/** A connection of its own to a running test daemon, for the methods outside the contract. */
export interface TestHooksConnection {
  /** Starts `test.longOperation`; resolves with its operation id. */
  startOperation(params: TestOperationParams): Promise<string>;
  close(): void;
}

/** Connects to the project's running test daemon (the contract's clients only call contract methods). */
export async function connectTestHooks(
  projectRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TestHooksConnection> {
  const { socketPath } = projectFiles(projectRoot, env);
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const opened = net.connect(socketPath, () => resolve(opened));
    opened.once('error', reject);
  });
  const connection = new RpcConnection(socketTransport(socket));
  return {
    startOperation: async (params) =>
      ((await connection.callRaw(TEST_OPERATION_METHOD, params)) as { operationId: string }).operationId,
    close: () => connection.close(),
  };
}

/** Starts `test.longOperation` over a connection opened for this one call; resolves with its operation id. */
export async function callTestOperation(
  projectRoot: string,
  params: TestOperationParams,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const hooks = await connectTestHooks(projectRoot, env);
  try {
    return await hooks.startOperation(params);
  } finally {
    hooks.close();
  }
}
