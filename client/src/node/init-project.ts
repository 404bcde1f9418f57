import type { InitResult } from '@packer/core';

export type { InitResult };

/**
 * Creates a project (packer.json, empty registry, .gitignore entry). Project creation is the packer's job; the
 * client library passes it through, loading the core only when it is called.
 */
export async function initProject(dir: string, options: { name?: string } = {}): Promise<InitResult> {
  const core = await import('@packer/core');
  return core.initProject(dir, options);
}
