import { mkdtempSync, rmSync, statSync, writeFileSync, appendFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BUNDLE_MANIFEST, freshBundle, type BundleManifest } from './fresh-bundle.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A dist folder with a bundle built from two inputs, and its manifest as the build writes it. */
function builtDist(): string {
  const dist = mkdtempSync(path.join(tmpdir(), 'packer-fresh-bundle-'));
  dirs.push(dist);
  const files = { bundle: 'bundle-daemon-main.js', chunk: 'bundle-run-build-x1.js' };
  writeFileSync(path.join(dist, 'bundle-daemon-main.js'), 'export {};\n');
  writeFileSync(path.join(dist, files.chunk), 'export {};\n');
  writeFileSync(path.join(dist, 'b.js'), 'export const b = 1;\n');
  writeFileSync(path.join(dist, 'a.js'), 'export const a = 1;\n');
  const mark = (file: string): [string, number, number] => {
    const stat = statSync(path.join(dist, file));
    return [file, stat.size, stat.mtimeMs];
  };
  const manifest: BundleManifest = {
    entry: files.bundle,
    outputs: [mark(files.bundle), mark(files.chunk)],
    inputs: [mark('a.js'), mark('b.js')],
  };
  writeFileSync(path.join(dist, BUNDLE_MANIFEST), JSON.stringify(manifest));
  return dist;
}

describe('freshBundle: the production bin runs the bundle only while it matches what it was built from', () => {
  it('gives the bundle while every input and output is as recorded', () => {
    const dist = builtDist();
    expect(freshBundle(dist)).toBe(pathToFileURL(path.join(dist, 'bundle-daemon-main.js')).href);
  });

  it('falls back to the modules after a rebuild of one input (tsc -b without the bundle step)', () => {
    const dist = builtDist();
    appendFileSync(path.join(dist, 'b.js'), '// edited\n');
    expect(freshBundle(dist)).toBeUndefined();
  });

  it('falls back when an input was rewritten with the same size, or removed', () => {
    const dist = builtDist();
    const later = new Date(Date.now() + 5_000);
    utimesSync(path.join(dist, 'a.js'), later, later);
    expect(freshBundle(dist)).toBeUndefined();
    const other = builtDist();
    rmSync(path.join(other, 'b.js'));
    expect(freshBundle(other)).toBeUndefined();
  });

  it('falls back when a chunk of the bundle is damaged or the manifest is missing or not one', () => {
    const dist = builtDist();
    writeFileSync(path.join(dist, 'bundle-run-build-x1.js'), '');
    expect(freshBundle(dist)).toBeUndefined();
    const bare = builtDist();
    rmSync(path.join(bare, BUNDLE_MANIFEST));
    expect(freshBundle(bare)).toBeUndefined();
    const garbled = builtDist();
    writeFileSync(path.join(garbled, BUNDLE_MANIFEST), '{"entry": 1}');
    expect(freshBundle(garbled)).toBeUndefined();
  });
});
