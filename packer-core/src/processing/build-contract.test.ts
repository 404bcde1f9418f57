import { describe, expect, expectTypeOf, it } from 'vitest';
import { PackManifest, type BuildReport, type PackEntryInfo, type VerifyResult } from '../contract/build-schema.js';
import { Methods, type MethodParams, type MethodResult } from '../contract/methods.js';
import type { BuildProgress } from './build-progress.js';

describe('build contract', () => {
  it('types the build and pack methods with the shared schemas', () => {
    expectTypeOf<MethodParams<'build.start'>>().toEqualTypeOf<{ packs?: string[] | undefined }>();
    expectTypeOf<MethodResult<'build.start'>>().toEqualTypeOf<{ operationId: string }>();
    expectTypeOf<MethodResult<'build.run'>['report']>().toEqualTypeOf<BuildReport>();
    expectTypeOf<MethodResult<'packs.verify'>>().toEqualTypeOf<VerifyResult>();
    expectTypeOf<MethodResult<'packs.entries'>['items']>().toEqualTypeOf<PackEntryInfo[]>();
    // Progress events carry the build's counts as their `counts` record.
    expectTypeOf<BuildProgress['counts']>().toExtend<Record<string, number>>();
  });

  it('validates params at the edge', () => {
    expect(Methods['build.start'].params.safeParse({ packs: [] }).success).toBe(false);
    expect(Methods['build.start'].params.safeParse({}).success).toBe(true);
    expect(Methods['packs.entries'].params.parse({ pack: 'core' })).toEqual({ pack: 'core', limit: 1000 });
    expect(PackManifest.safeParse({ format: 'packer-pack-manifest', version: 2 }).success).toBe(false);
  });
});
