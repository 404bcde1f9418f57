import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PackEntryInfo, PackInfo, VerifyResult } from '../contract/build-schema.js';
import type { ProjectConfig } from '../contract/config-schema.js';
import { PAGE_SIZES } from '../contract/runtime-constants.js';
import { PackerError } from '../contract/errors.js';
import type { PackBuildInfo } from '../contract/snapshot-schema.js';
import { normalizeProjectPath, toAbsolute } from '../paths/project-path.js';
import {
  buildDirOf,
  packFilesOf,
  manifestPackFile,
  PACK_NAME_DIGEST_CHARS,
  readManifest,
  type PackFiles,
} from './pack-files.js';
import { PackReader } from './pack-reader.js';
import { verifyPack } from './verify-pack.js';

/** Every configured pack with what its manifest says and its last recorded build. Reads manifests only. */
export function listPacks(
  projectRoot: string,
  config: ProjectConfig,
  lastBuilds: readonly PackBuildInfo[],
): { buildDir: string; items: PackInfo[] } {
  const items = config.packs.map((rule): PackInfo => {
    const manifest = readManifest(packFilesOf(projectRoot, config, rule.name, undefined).manifest);
    const files = packFilesOf(projectRoot, config, rule.name, manifest);
    const lastBuild = lastBuilds.find((build) => build.pack === rule.name);
    return {
      name: rule.name,
      file: files.relativePack,
      manifestFile: files.relativeManifest,
      exists: existsSync(files.pack) && manifest !== undefined,
      ...(manifest
        ? {
            digest: manifest.digest,
            entries: manifest.entries.length,
            bytes: manifest.bytes,
            revision: manifest.revision,
          }
        : {}),
      ...(lastBuild ? { lastBuild } : {}),
    };
  });
  return { buildDir: buildDirOf(projectRoot, config).relative, items };
}

/**
 * A pack named in `packer.json` (the file its manifest names), or a project-relative (or absolute, inside the
 * project) path to a `.pack` file, checked against the manifest beside it: `<name>.manifest.json` for
 * `<name>.<digest>.pack` and `<name>.pack`. A `<name>.pack` path that does not exist stands for the file
 * the manifest names, so `packer verify build/core.pack` keeps working. NOT_FOUND for anything else.
 */
export function resolvePack(projectRoot: string, config: ProjectConfig, ref: string): PackFiles {
  if (config.packs.some((rule) => rule.name === ref)) return packFilesOf(projectRoot, config, ref);
  if (ref.endsWith('.pack')) {
    const relative = normalizeProjectPath(ref, projectRoot);
    const dir = path.posix.dirname(relative) === '.' ? '' : `${path.posix.dirname(relative)}/`;
    const stem = path.posix.basename(relative, '.pack');
    const versioned = new RegExp(`^(.+)\\.[0-9a-f]{${PACK_NAME_DIGEST_CHARS}}$`).exec(stem);
    const name =
      versioned && existsSync(toAbsolute(projectRoot, `${dir}${versioned[1]}.manifest.json`)) ? versioned[1]! : stem;
    const relativeManifest = `${dir}${name}.manifest.json`;
    const manifest = toAbsolute(projectRoot, relativeManifest);
    if (!versioned && !existsSync(toAbsolute(projectRoot, relative))) {
      const known = readManifest(manifest);
      const named = known && manifestPackFile(known);
      if (named) {
        return {
          name,
          pack: toAbsolute(projectRoot, `${dir}${named}`),
          manifest,
          relativePack: `${dir}${named}`,
          relativeManifest,
        };
      }
    }
    return { name, pack: toAbsolute(projectRoot, relative), manifest, relativePack: relative, relativeManifest };
  }
  const known = config.packs.map((rule) => rule.name);
  throw new PackerError('NOT_FOUND', `No pack named ${JSON.stringify(ref)}.`, {
    pack: ref,
    known,
    hint: known.length ? `Use one of: ${known.join(', ')}, or a path to a .pack file.` : 'Define packs in packer.json.',
  });
}

export { readManifest };

/**
 * Verifies a pack against itself and its manifest; the first problem is in `problem`. A pack file that
 * vanished because a build moved the manifest on meanwhile is looked up again through the new manifest.
 */
export async function verifyPackFiles(files: PackFiles): Promise<VerifyResult> {
  const result = await verifyPack(files.pack, readManifest(files.manifest), {
    pack: files.name,
    file: files.relativePack,
  });
  const moved = result.problem?.section === 'file' ? movedOn(files) : undefined;
  return moved
    ? verifyPack(moved.pack, readManifest(moved.manifest), { pack: moved.name, file: moved.relativePack })
    : result;
}

// The files of the same pack when its manifest now names another file than `files.pack`.
function movedOn(files: PackFiles): PackFiles | undefined {
  const manifest = readManifest(files.manifest);
  const named = manifest && manifestPackFile(manifest);
  if (!named || named === path.basename(files.pack)) return undefined;
  const dir = files.relativeManifest.slice(0, files.relativeManifest.lastIndexOf('/') + 1);
  return { ...files, pack: path.join(path.dirname(files.manifest), named), relativePack: `${dir}${named}` };
}

/** A page of a pack's entries, read from the pack's own table. NOT_FOUND when there is no pack file. */
export async function listPackEntries(
  files: PackFiles,
  options: { limit?: number | undefined; page?: string | undefined } = {},
) {
  const reader = await PackReader.open(files.pack).catch((error: unknown) => {
    const moved = error instanceof PackerError && error.code === 'NOT_FOUND' ? movedOn(files) : undefined;
    if (!moved) throw error;
    files = moved;
    return PackReader.open(moved.pack);
  });
  try {
    const fingerprint = reader.index.headerDigest.slice(0, 16);
    const offset = options.page ? decodePage(options.page, fingerprint) : 0;
    const limit = options.limit ?? PAGE_SIZES['packs.entries'].default;
    const items: PackEntryInfo[] = reader.entries.slice(offset, offset + limit);
    const manifest = readManifest(files.manifest);
    return {
      pack: files.name,
      file: files.relativePack,
      ...(manifest ? { digest: manifest.digest } : {}),
      total: reader.entries.length,
      items,
      ...(offset + limit < reader.entries.length ? { nextPage: `${fingerprint}:${offset + limit}` } : {}),
    };
  } finally {
    await reader.close();
  }
}

function decodePage(page: string, fingerprint: string): number {
  const match = /^([0-9a-f]{16}):(\d+)$/.exec(page);
  if (!match)
    throw new PackerError(
      'INVALID_PARAMS',
      `Invalid page token ${JSON.stringify(page)}: pass the "nextPage" value of the previous answer.`,
      { page },
    );
  if (match[1] !== fingerprint)
    throw new PackerError('CONFLICT', 'The pack was rebuilt since the previous page.', {
      page,
      hint: 'List again from the first page.',
    });
  return Number(match[2]);
}
