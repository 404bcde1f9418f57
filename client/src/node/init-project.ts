import type { InitOptions, InitResult } from '@packer/core';

export type { InitOptions, InitResult };

/**
 * Creates a project that adopts the folder (engine detected, packer.json, empty registry, .gitignore entries). Project
 * creation is the packer's job; the client library passes it through, loading the core only when it is called.
 */
export async function initProject(dir: string, options: InitOptions = {}): Promise<InitResult> {
  const core = await import('@packer/core');
  return core.initProject(dir, options);
}
