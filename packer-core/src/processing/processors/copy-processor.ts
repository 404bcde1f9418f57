import { stat } from 'node:fs/promises';
import { changedDuringBuild, type Processor } from './processor.js';

/** `copy`: the output is the input. Nothing is read here; the pack writer hashes the bytes as it copies them. */
export const copyProcessor: Processor = async (input) => {
  const { size } = await stat(input.absolute);
  if (size !== input.expected.size) throw changedDuringBuild();
  return { type: 'passthrough', metadata: {} };
};
