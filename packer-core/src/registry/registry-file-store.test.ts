import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackerError } from '../contract/errors.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { newAssetId } from '../ids/asset-id.js';
import { makeTempDir } from '../testing/temp-dirs.js';
import { serializeRegistry } from './registry-codec.js';
import { RegistryFileStore as RegistryStore } from './registry-file-store.js';
import { REGISTRY_FILE } from './registry-shards.js';

const entry = (entryPath: string, settings: RegistryEntry['settings'] = {}): RegistryEntry => ({
  id: newAssetId(),
  path: entryPath,
  kind: 'text',
  settings,
  tags: [],
});

function thrown(run: () => unknown): PackerError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PackerError);
    return error as PackerError;
  }
  throw new Error('expected a throw');
}

describe('RegistryFileStore never writes a registry it would refuse to read', () => {
  it.each([
    ['a backslash', 'assets/a\\b.txt'],
    ['a control character', 'assets/bell\x07.txt'],
    ['a C1 control character', 'assets/nel\u0085.txt'],
    ['a lone surrogate', 'assets/x\ud800.txt'],
    ['a path outside the project', '../outside.txt'],
    ['a path that is not normalised', 'assets/./x.txt'],
  ])('an entry path with %s: INVALID_PATH from serialize, nothing written', (_name, entryPath) => {
    const root = makeTempDir('registry-store-');
    const good = serializeRegistry([entry('assets/ok.txt')]);
    writeFileSync(path.join(root, REGISTRY_FILE), good);
    const store = new RegistryStore(root);
    const error = thrown(() => store.serialize([entry('assets/ok.txt'), entry(entryPath)]));
    expect(error.code).toBe('INVALID_PATH');
    expect(error.message).toMatch(/could not read back/);
    expect(String(error.data.hint)).toMatch(/Nothing was written/);
    expect(store.readText()).toBe(good);
  });

  it('writeText validates text it did not produce, and leaves the file and folder as they were', () => {
    const root = makeTempDir('registry-store-');
    const good = serializeRegistry([entry('assets/ok.txt')]);
    writeFileSync(path.join(root, REGISTRY_FILE), good);
    const store = new RegistryStore(root);
    const withProto = good.replace('"settings":{}', '"settings":{"__proto__":1}');
    expect(withProto).not.toBe(good);
    for (const bad of [withProto, serializeRegistry([entry('assets/a\\b.txt')]), '{ not json']) {
      expect(['INVALID_PATH', 'INVALID_REGISTRY']).toContain(thrown(() => store.writeText(bad)).code);
      expect(store.readText()).toBe(good);
    }
    expect(readdirSync(root)).toEqual([REGISTRY_FILE]);
  });

  it('serialize refuses a registry without the owner write bit with REGISTRY_READ_ONLY', () => {
    const root = makeTempDir('registry-store-');
    writeFileSync(path.join(root, REGISTRY_FILE), serializeRegistry([]));
    chmodSync(path.join(root, REGISTRY_FILE), 0o444);
    const error = thrown(() => new RegistryStore(root).serialize([entry('assets/ok.txt')]));
    expect(error.code).toBe('REGISTRY_READ_ONLY');
    expect(error.data.mode).toBe('0444');
  });
});
