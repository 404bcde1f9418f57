// The four operations of the crash campaign: how each project is set up, how the next trial's operation is
// prepared (resets included), how it is sent, and at which commit points a crash hook can stop it.
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BULK } from './crash-project.mjs';

const MOVED = 'assets/moved/bulk';
const mutationPoints = (steps) => [
  'journal-written',
  ...(steps > 0 ? [...new Set(['step-0', `step-${Math.floor(steps / 2)}`, `step-${steps - 1}`])] : []),
  'registry-written',
  'journal-committed',
  'trash-removed',
];

/** Top-level folders of the bulk tree (removed one at a time, in turn). */
function bulkFolders(project) {
  return readdirSync(project.bulkSource, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${BULK}/${entry.name}`)
    .sort();
}

/** Registered files under `folder`, from the daemon's own list (paged). */
async function registeredUnder(client, folder) {
  const paths = [];
  let page;
  do {
    const result = await client.call('assets.list', {
      pathPrefix: `${folder}/`,
      status: 'present',
      limit: 5000,
      ...(page ? { page } : {}),
    });
    paths.push(...result.items.filter((item) => item.id).map((item) => item.path));
    page = result.nextPage;
  } while (page);
  return paths.sort();
}

export const OPERATIONS = [
  {
    name: 'move',
    fixture: 'sample-game',
    describe: (bulkFiles) =>
      `folder move of \`${BULK}\` (${bulkFiles.toLocaleString('en-US')} files) to \`${MOVED}\` and back`,
    /** Moves the bulk folder to wherever it is not; nothing to reset. */
    async prepare(project) {
      // Folders stay behind empty after a move: ask the registry where the files are.
      const there = (await registeredUnder(await project.daemon(), MOVED)).length > 0;
      return { mutation: there ? { type: 'move', from: MOVED, to: BULK } : { type: 'move', from: BULK, to: MOVED } };
    },
    hookPoints: mutationPoints,
  },
  {
    name: 'remove',
    fixture: 'sample-game',
    describe: (bulkFiles) =>
      `remove with \`deleteFiles\` of one of the four bulk folders in turn (≈${Math.round(bulkFiles / 4).toLocaleString('en-US')} files)`,
    /** Restores (copy + register) any bulk folder an earlier trial removed, then removes the next one. */
    async prepare(project, trial) {
      const folders = bulkFolders(project);
      const client = await project.daemon();
      for (const folder of folders)
        if ((await registeredUnder(client, folder)).length === 0) await project.restoreBulkFolder(folder);
      return { mutation: { type: 'remove', targets: [folders[trial % folders.length]], deleteFiles: true } };
    },
    hookPoints: mutationPoints,
  },
  {
    name: 'reconcile',
    fixture: 'sample-game-divergent',
    describe: (_bulkFiles, perTrial) =>
      `reconcile apply (adopt, drop, relink) on sample-game-divergent + bulk, ${perTrial} new divergences per trial`,
    /** Makes fresh divergence on disk with the daemon watching: deleted, moved-outside and new files. */
    async prepare(project, trial, random, perTrial) {
      const client = await project.daemon();
      const registered = await registeredUnder(client, BULK);
      const third = Math.max(1, Math.floor(perTrial / 3));
      const chosen = new Set();
      while (chosen.size < Math.min(2 * third, registered.length))
        chosen.add(registered[random.int(0, registered.length - 1)]);
      const [drop, relink] = [[...chosen].slice(0, third), [...chosen].slice(third)];
      for (const file of drop) rmSync(path.join(project.root, file));
      const relinkFolder = `${BULK}/relinked-${trial}`;
      mkdirSync(path.join(project.root, relinkFolder), { recursive: true });
      relink.forEach((file, index) =>
        renameSync(
          path.join(project.root, file),
          path.join(project.root, relinkFolder, `${index}-${path.basename(file)}`),
        ),
      );
      const adoptFolder = `${BULK}/adopted-${trial}`;
      mkdirSync(path.join(project.root, adoptFolder), { recursive: true });
      for (let index = 0; index < third; index++)
        writeFileSync(
          path.join(project.root, adoptFolder, `new-${index}.txt`),
          `crash campaign trial ${trial} file ${index} ${random.next()}\n`,
        );
      return { mutation: { type: 'reconcile' } };
    },
    hookPoints: mutationPoints,
  },
  {
    name: 'build',
    fixture: 'sample-game',
    describe: () => 'build of every pack (the `bulk` pack changes each trial: one of its text files is rewritten)',
    /** Rewrites one bulk text file, so the bulk pack's digest says whether the build got through. */
    async prepare(project, trial) {
      project.buildProbe ??= findTextFile(path.join(project.root, BULK));
      writeFileSync(project.buildProbe, `crash campaign build ${trial}\n`);
      return { build: {} };
    },
    hookPoints: () => [
      'build:packs-staged',
      'build:journal-written',
      'build:pack-placed:bulk',
      'build:packs-placed',
      'build:manifest-committed:bulk',
      'build:old-packs-removed',
      'build:state-saved',
    ],
  },
];

function findTextFile(folder) {
  for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const child = path.join(folder, entry.name);
    if (entry.isFile() && entry.name.endsWith('.txt')) return child;
    if (entry.isDirectory()) {
      const found = findTextFile(child);
      if (found) return found;
    }
  }
  return undefined;
}
