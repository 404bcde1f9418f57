import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath } from '@packer/fixtures';
import type { PackerError } from '../contract/errors.js';
import { openBuildProject, pngHeader, removeTestProjects } from '../testing/build-test-project.js';
import { packFilesOf } from '../packs/pack-files.js';
import { PackReader } from '../packs/pack-reader.js';
import { runBuild } from './run-build.js';

afterAll(removeTestProjects);

/** Builds the files into pack `all`; returns each entry's bytes and metadata by output name. */
async function buildAndRead(
  files: Record<string, string | Uint8Array>,
): Promise<{ entry: (name: string) => Buffer; metadata: (name: string) => unknown }> {
  const { root, workspace } = await openBuildProject(files);
  await runBuild(workspace);
  const reader = await PackReader.open(packFilesOf(root, workspace.config, 'all').pack);
  const bytes = new Map<string, Buffer>();
  for (const entry of reader.entries) bytes.set(entry.name, await reader.read(entry.id));
  await reader.close();
  return { entry: (name) => bytes.get(name)!, metadata: (name) => reader.find(name)?.metadata };
}

async function buildError(files: Record<string, string | Uint8Array>): Promise<PackerError> {
  const { workspace } = await openBuildProject(files);
  return (await runBuild(workspace).catch((error: unknown) => error)) as PackerError;
}

describe('built-in processors', () => {
  it('text: drops the BOM and turns CRLF and lone CR into LF', async () => {
    const pack = await buildAndRead({ 'assets/a.txt': '\uFEFFone\r\ntwo\rthree\nfour\r\n\r\nfive\r' });
    expect(pack.entry('a.txt').toString('utf8')).toBe('one\ntwo\nthree\nfour\n\nfive\n');
  });

  it('text: streams files over 8 MiB, normalising across 1 MiB chunk boundaries (CRLF and a character split between chunks)', async () => {
    const chunk = 1 << 20;
    const head = Buffer.alloc(9 * chunk - 1, 'a');
    const crlfAtBoundary = Buffer.concat([head, Buffer.from('\r\nb\r')]);
    const splitChar = Buffer.concat([head, Buffer.from('é\r\n', 'utf8')]);
    const invalid = Buffer.concat([head, Buffer.from([0xc3])]);
    const pack = await buildAndRead({ 'assets/crlf.txt': crlfAtBoundary, 'assets/char.txt': splitChar });
    expect(pack.entry('crlf.txt').equals(Buffer.concat([head, Buffer.from('\nb\n')]))).toBe(true);
    expect(pack.entry('char.txt').equals(Buffer.concat([head, Buffer.from('é\n', 'utf8')]))).toBe(true);
    const error = await buildError({ 'assets/cut.txt': invalid });
    expect(error.data.blockers).toEqual([
      expect.objectContaining({
        code: 'PROCESSOR_FAILED',
        path: 'assets/cut.txt',
        message: expect.stringContaining('not valid utf-8'),
      }),
    ]);
  });

  it('text: rejects invalid UTF-8 as a failure of that asset', async () => {
    const error = await buildError({
      'assets/bad.txt': Buffer.from([0x61, 0xff, 0xfe, 0x62]),
      'assets/ok.txt': 'fine',
    });
    expect(error.code).toBe('BLOCKED');
    expect(error.data.blockers).toEqual([
      expect.objectContaining({
        code: 'PROCESSOR_FAILED',
        path: 'assets/bad.txt',
        message: expect.stringContaining('not valid utf-8'),
      }),
    ]);
  });

  it('text: decodes the `encoding` setting into UTF-8', async () => {
    const { root, workspace } = await openBuildProject({
      'assets/wide.txt': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('héllo\r\n', 'utf16le')]),
    });
    await workspace.apply({ type: 'update', target: 'assets/wide.txt', settings: { encoding: 'utf-16le' } });
    await runBuild(workspace);
    const reader = await PackReader.open(packFilesOf(root, workspace.config, 'all').pack);
    expect((await reader.read('wide.txt')).toString('utf8')).toBe('héllo\n');
    await reader.close();
    await workspace.apply({ type: 'update', target: 'assets/wide.txt', settings: { encoding: 'klingon' } });
    const error = (await runBuild(workspace).catch((caught: unknown) => caught)) as PackerError;
    expect(error.data.blockers).toEqual([
      expect.objectContaining({ code: 'INVALID_SETTINGS', path: 'assets/wide.txt' }),
    ]);
  });

  it('json: minifies without reinterpreting numbers; `minify: false` keeps the bytes; errors carry line and column', async () => {
    const pretty = '{\n  "big": 12345678901234567890,\n  "list": [ 1.0, 2 ]\n}\n';
    const { root, workspace } = await openBuildProject({
      'assets/a.json': pretty,
      'assets/b.json': pretty.replace('big', 'large'),
    });
    await workspace.apply({ type: 'update', target: 'assets/b.json', settings: { minify: false } });
    await runBuild(workspace);
    const reader = await PackReader.open(packFilesOf(root, workspace.config, 'all').pack);
    expect((await reader.read('a.json')).toString('utf8')).toBe('{"big":12345678901234567890,"list":[1.0,2]}');
    expect((await reader.read('b.json')).toString('utf8')).toBe(pretty.replace('big', 'large'));
    await reader.close();
    const error = await buildError({ 'assets/bad.json': '{\n  "a": 1\n  "b": 2\n}' });
    expect(error.data.blockers).toEqual([
      expect.objectContaining({ code: 'PROCESSOR_FAILED', message: expect.stringContaining('line 3, column 3') }),
    ]);
  });

  it('image: records PNG and JPEG dimensions and keeps the bytes', async () => {
    const jpeg = readFileSync(path.join(fixturePath('sample-game'), 'assets/backgrounds/title.jpg'));
    const png = pngHeader(640, 360);
    const pack = await buildAndRead({ 'assets/title.jpg': jpeg, 'assets/wide.png': png });
    expect(pack.metadata('title.jpg')).toEqual({ format: 'jpeg', width: 96, height: 64 });
    expect(pack.metadata('wide.png')).toEqual({ format: 'png', width: 640, height: 360 });
    expect(pack.entry('title.jpg').equals(jpeg)).toBe(true);
    expect(pack.entry('wide.png').equals(png)).toBe(true);
    const error = await buildError({ 'assets/fake.png': 'not an image' });
    expect(error.data.blockers).toEqual([
      expect.objectContaining({ code: 'PROCESSOR_FAILED', message: expect.stringContaining('not a PNG or JPEG') }),
    ]);
  });
});
