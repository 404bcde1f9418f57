import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PackBuildInfo } from '../contract/snapshot-schema.js';
import { writeFileAtomic } from '../fs/atomic-write.js';

const PackVersion = z.object({ file: z.string(), digest: z.string() });

/** One pack a build is putting in place: the version its manifest named before, and the new one. */
const JournalPack = z.object({
  name: z.string(),
  previous: PackVersion.optional(),
  next: PackVersion,
  info: PackBuildInfo,
  headerDigest: z.string(),
});
export type JournalPack = z.infer<typeof JournalPack>;

/**
 * `.packer/build-journal.json`: written (atomically) before the first pack of a build is renamed into place,
 * marked `done` once every manifest is committed and the build state saved. Recovery compares it with the
 * manifests on disk to say exactly which packs an interrupted build replaced.
 */
const BuildJournal = z.object({
  format: z.literal('packer-build-journal'),
  version: z.literal(1),
  operationId: z.string().optional(),
  state: z.enum(['committing', 'done']),
  packs: z.array(JournalPack),
});
export type BuildJournal = z.infer<typeof BuildJournal>;

export class BuildJournalFile {
  readonly file: string;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'build-journal.json');
  }

  /** The journal, `undefined` when there is none, `'invalid'` when it cannot be read. */
  read(): BuildJournal | 'invalid' | undefined {
    if (!existsSync(this.file)) return undefined;
    try {
      const parsed = BuildJournal.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
      return parsed.success ? parsed.data : 'invalid';
    } catch {
      return 'invalid';
    }
  }

  write(journal: BuildJournal): void {
    writeFileAtomic(this.file, `${JSON.stringify(journal, null, 2)}\n`);
  }

  remove(): void {
    rmSync(this.file, { force: true });
  }
}
