import { describe, expect, it } from 'vitest';
import type { ProjectConfigInput } from '../contract/config-schema.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { convertSetting } from './validate-settings.js';

const image = {
  extensions: ['.png'],
  processor: 'image',
  settings: { premultiply: 'boolean', maxSize: 'number', label: 'string' },
} as const;

describe('convertSetting: text as typed becomes the type the kind declares', () => {
  it.each([
    ['maxSize', '007', 7],
    ['maxSize', '512', 512],
    ['maxSize', ' -1.5e2 ', -150],
    ['premultiply', 'true', true],
    ['premultiply', 'false', false],
    ['label', '007', '007'],
    ['label', 'true', 'true'],
    ['label', '', ''],
  ] as const)('%s=%j → %j', (key, text, value) => {
    expect(convertSetting(key, text, image)).toEqual({ value });
  });

  it.each([
    ['maxSize', 'big', 'setting "maxSize" must be a number, got "big"'],
    ['maxSize', '0x10', 'setting "maxSize" must be a number, got "0x10"'],
    ['maxSize', 'Infinity', 'setting "maxSize" must be a number, got "Infinity"'],
    ['maxSize', '   ', 'setting "maxSize" must be a number, got "   "'],
    ['premultiply', 'yes', 'setting "premultiply" must be a boolean (true or false), got "yes"'],
  ] as const)('%s=%j is refused', (key, text, problem) => {
    expect(convertSetting(key, text, image)).toEqual({ problem });
  });

  it('leaves typed values and undeclared keys for the type check', () => {
    expect(convertSetting('maxSize', 64, image)).toEqual({ value: 64 });
    expect(convertSetting('bogus', '1', image)).toEqual({ value: '1' });
    expect(convertSetting('constructor', '1', image)).toEqual({ value: '1' });
  });
});

describe('an update mutation with settings given as text', () => {
  const config: ProjectConfigInput = { ...TEST_CONFIG, kinds: { ...TEST_CONFIG.kinds, image } };

  it("converts them by the kind, and blocks text that does not fit with the packer's own diagnostic", async () => {
    const root = makeTempProject({ 'assets/hero.png': 'png-bytes' }, config);
    const ws = await Workspace.open(root);
    try {
      await ws.apply({ type: 'register', paths: ['assets'] });
      const applied = await ws.apply({
        type: 'update',
        target: 'assets/hero.png',
        settings: { label: '007', maxSize: '007', premultiply: 'true' },
      });
      expect(applied.plan.registryMutations[0]).toMatchObject({
        op: 'update',
        after: { settings: { label: '007', maxSize: 7, premultiply: true } },
      });

      const bad = ws.preview({ type: 'update', target: 'assets/hero.png', settings: { maxSize: 'big' } });
      expect(bad.registryMutations).toEqual([]);
      expect(bad.blockers).toEqual([
        expect.objectContaining({
          code: 'INVALID_SETTINGS',
          message: 'assets/hero.png: setting "maxSize" must be a number, got "big".',
        }),
      ]);
      // A kind change converts by the new kind's types: text has no maxSize, so the old number is the problem.
      const rekind = ws.preview({
        type: 'update',
        target: 'assets/hero.png',
        kind: 'text',
        settings: { label: null, premultiply: null },
      });
      expect(rekind.blockers[0]?.message).toContain('setting "maxSize" is not declared for this kind');
    } finally {
      await ws.close();
    }
  });
});
