import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ProjectConfigInput } from '../contract/config-schema.js';
import { makeTempProject } from './temp-project.js';
import { Workspace } from '../workspace/workspace.js';

/** Config for build tests: the four built-ins and one pack of everything. */
export const BUILD_TEST_CONFIG: ProjectConfigInput = {
  name: 'build-test',
  assetRoots: ['assets'],
  kinds: {
    image: { extensions: ['.png', '.jpg'], processor: 'image' },
    data: { extensions: ['.json'], processor: 'json', settings: { minify: 'boolean' } },
    text: { extensions: ['.txt', '.md'], processor: 'text', settings: { encoding: 'string' } },
    binary: { extensions: ['.bin'], processor: 'copy' },
  },
  packs: [{ name: 'all', include: ['assets/**'] }],
};

const createdRoots: string[] = [];

/** Removes every project the helpers below created (call from `afterAll`). */
export function removeTestProjects(): void {
  for (const root of createdRoots.splice(0)) rmSync(root, { recursive: true, force: true });
}

/** Registers a project folder for `removeTestProjects`; returns it. */
export function trackTestProject(root: string): string {
  createdRoots.push(root);
  return root;
}

/** A temp project with these files, every file under `assets/` registered. For tests. */
export async function openBuildProject(
  files: Record<string, string | Uint8Array>,
  config: ProjectConfigInput = BUILD_TEST_CONFIG,
): Promise<{ root: string; workspace: Workspace }> {
  const root = makeTempProject(files, config);
  createdRoots.push(root);
  const workspace = await Workspace.open(root);
  await workspace.apply({ type: 'register', paths: ['assets'] });
  return { root, workspace };
}

/** The bytes of every file in the build folder, by name. For tests. */
export function buildOutputs(root: string, buildDir = 'build'): Record<string, Buffer> {
  const dir = path.join(root, buildDir);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return {};
  }
  return Object.fromEntries(names.map((name) => [name, readFileSync(path.join(dir, name))]));
}

/** The bytes of the pack file a pack's manifest names (undefined when there is no manifest or no such file). For
 * tests. */
export function packBytes(root: string, name: string, buildDir = 'build'): Buffer | undefined {
  try {
    const manifest = JSON.parse(readFileSync(path.join(root, buildDir, `${name}.manifest.json`), 'utf8')) as {
      file: string;
    };
    return readFileSync(path.join(root, buildDir, manifest.file));
  } catch {
    return undefined;
  }
}

/** A PNG signature and IHDR chunk of the given size (enough for the image processor). */
export function pngHeader(width: number, height: number, extra = 16): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'latin1');
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  ihdr[16] = 8;
  ihdr[17] = 6;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr, Buffer.alloc(extra, 7)]);
}
