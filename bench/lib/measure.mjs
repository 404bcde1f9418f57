// Repeats a measurement and keeps the median of every numeric field it returns.
import { median } from './stats.mjs';

/**
 * Calls `once(index)` `runs` times, one after another, and returns the median of each numeric field (fields of
 * `reported` too, flattened as `reported.name`), plus the raw samples. `before(index)` runs untimed first.
 */
export async function measure(runs, once, { before } = {}) {
  const samples = [];
  for (let index = 0; index < runs; index++) {
    await before?.(index);
    samples.push(await once(index));
  }
  const medians = {};
  const keys = new Set(samples.flatMap((sample) => Object.keys(flatten(sample))));
  for (const key of keys) {
    const values = samples
      .map((sample) => flatten(sample)[key])
      .filter((value) => typeof value === 'number' && Number.isFinite(value));
    if (values.length > 0) medians[key] = median(values);
  }
  return { ...medians, samples };
}

function flatten(sample) {
  const flat = {};
  for (const [key, value] of Object.entries(sample)) {
    if (value && typeof value === 'object' && !Array.isArray(value))
      for (const [inner, item] of Object.entries(value)) flat[`${key}.${inner}`] = item;
    else flat[key] = value;
  }
  return flat;
}
