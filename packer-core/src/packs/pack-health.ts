import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ProjectConfig } from '../contract/config-schema.js';
import type { Diagnostic } from '../contract/diagnostics.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import type { BuildState } from '../processing/build-state.js';
import { HEADER_BYTES, layoutPack, parseHeader } from './pack-format.js';
import { buildDirOf, isVersionOf, manifestPackFile, packFilesOf, readManifest } from './pack-files.js';

/**
 * PACK_UNVERIFIED for each configured pack whose files do not hold together, found cheaply (no pack data is
 * read, so it runs at every daemon start and after every build whatever the packs weigh): the manifest is
 * unreadable or names no plain file, the pack it names is missing, its size differs from the manifest, or
 * its header is damaged or fingerprints another index than the manifest's entries. Packs whose files carry
 * the stat the packer recorded when it wrote them are not read at all. Entry bytes are left to
 * `packer verify`. A pack never built (no manifest, no pack) is no finding.
 */
export function checkPacks(projectRoot: string, config: ProjectConfig, buildState?: BuildState): Diagnostic[] {
  const out: Diagnostic[] = [];
  const buildDir = buildDirOf(projectRoot, config).absolute;
  for (const rule of config.packs) {
    // Files the packer wrote and nobody touched since (by stat) need no reading at all: the manifest of a pack
    // of 25,000 entries takes longer to parse than a no-change build takes.
    if (buildState && buildState.wrote(buildState.packFiles(projectRoot, config, rule.name))) continue;
    const files = packFilesOf(projectRoot, config, rule.name, undefined);
    const manifest = readManifest(files.manifest);
    const unverified = (message: string, path: string) =>
      out.push(
        diagnostic(
          'PACK_UNVERIFIED',
          `Pack ${rule.name}: ${message}`,
          { path },
          `Run \`packer verify ${rule.name}\` for details; \`packer build\` rewrites it.`,
        ),
      );
    if (!manifest) {
      if (existsSync(files.manifest))
        unverified(`${files.relativeManifest} is not a valid manifest.`, files.relativeManifest);
      else {
        const orphan = existsSync(files.pack) ? path.basename(files.pack) : versionsOf(buildDir, rule.name)[0];
        if (orphan)
          unverified(
            `${buildDirOf(projectRoot, config).relative}/${orphan} has no manifest beside it.`,
            files.relativeManifest,
          );
      }
      continue;
    }
    if (!manifestPackFile(manifest)) {
      unverified(
        `${files.relativeManifest} names ${JSON.stringify(manifest.file)}, which is not a pack file beside it.`,
        files.relativeManifest,
      );
      continue;
    }
    const located = packFilesOf(projectRoot, config, rule.name, manifest);
    const problem = packProblem(located.pack, manifest.bytes, () => layoutPack(manifest.entries).index.headerDigest);
    if (problem)
      unverified(`${located.relativePack} ${problem} (named by ${located.relativeManifest}).`, located.relativePack);
  }
  return out;
}

function packProblem(file: string, bytes: number, expectedHeaderDigest: () => string): string | undefined {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return 'is missing';
  }
  if (size !== bytes) return `is ${size} bytes where its manifest says ${bytes}`;
  const header = Buffer.alloc(HEADER_BYTES);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const read = readSync(fd, header, 0, HEADER_BYTES, 0);
    const parsed = parseHeader(header.subarray(0, read), size);
    if (parsed.headerDigest !== expectedHeaderDigest()) return 'holds other entries than its manifest lists';
    return undefined;
  } catch (error) {
    return `has an unreadable header (${(error as Error).message})`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function versionsOf(buildDir: string, name: string): string[] {
  try {
    return readdirSync(buildDir)
      .filter((file) => isVersionOf(file, name))
      .sort();
  } catch {
    return [];
  }
}
