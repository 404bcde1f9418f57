import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import { packer } from './support/packer-bin.js';
import { fixtureProject } from './support/temp-project.js';

// `packer set <asset> __proto__=1`: the packer refuses reserved setting keys (INVALID_PARAMS), naming the field and
// why; the CLI shows the packer's answer (it never checks the keys itself: the boundary test holds it to that) and
// exits as for any invalid input (2), whether the command takes the lean path (`--yes` to a running daemon,
// src/lean-set.ts) or oclif's, for people and for scripts alike.

const ASSET = 'assets/data/game-settings.json';
const MESSAGE = (key: string): string =>
  `"mutation.settings.${key}" is a reserved name (__proto__, constructor, prototype cannot be setting keys); rename the setting.`;

describe('packer set with a reserved setting key', { timeout: 90_000 }, () => {
  test('is refused with the code INVALID_PARAMS and exit 2, and nothing changes', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const registry = readFileSync(path.join(root, 'packer.registry.json'), 'utf8');
    const run = await packer(root, ['set', ASSET, 'maxSize=1', '__proto__=1']);
    expect(run.code).toBe(2);
    expect(run.errorText).toContain(MESSAGE('__proto__'));
    expect(run.errorText).toContain('Code: INVALID_PARAMS');
    expect(run.stdout).toBe('');
    expect(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')).toBe(registry);
  });

  test('the lean path and the oclif path give the same message and exit code', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    expect((await packer(root, ['daemon', 'start'])).code).toBe(0);
    const registry = readFileSync(path.join(root, 'packer.registry.json'), 'utf8');
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      // `--yes` with a running daemon is the lean path; without it, oclif's (it asks first, so it never is lean).
      const lean = await packer(root, ['set', ASSET, `${key}=1`, '--yes']);
      const viaOclif = await packer(root, ['set', ASSET, `${key}=1`]);
      for (const run of [lean, viaOclif]) {
        expect(run.code, run.stderr).toBe(2);
        expect(run.errorText).toContain(MESSAGE(key));
        expect(run.errorText).toContain('Code: INVALID_PARAMS');
      }
      expect(lean.stderr).toBe(viaOclif.stderr);

      const leanJson = await packer(root, ['set', ASSET, `${key}=1`, '--yes', '--json']);
      const oclifJson = await packer(root, ['set', ASSET, `${key}=1`, '--json']);
      for (const run of [leanJson, oclifJson]) {
        expect(run.code, run.stderr).toBe(2);
        const { error } = run.json<{ error: { code: string; message: string } }>();
        expect(error.code).toBe('INVALID_PARAMS');
        expect(error.message).toContain(MESSAGE(key));
      }
      expect(leanJson.stdout).toBe(oclifJson.stdout);
    }
    expect(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')).toBe(registry);
  });
});
