import { expect } from 'vitest';
import { PackerError } from '../contract/errors.js';

/** The PackerError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function packerErrorOf(promise: Promise<unknown>): Promise<PackerError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(PackerError);
  return outcome as PackerError;
}
