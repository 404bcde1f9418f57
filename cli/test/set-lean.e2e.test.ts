import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { describe, test } from 'vitest';
import { PROTOCOL_VERSION } from '@packer/core/contract/runtime';
import { packer, type PackerRun } from './support/packer-bin.js';
import { answer, standInDaemon } from './support/stand-in-daemon.js';
import { emptyFolder, fixtureProject, runningDaemonPid } from './support/temp-project.js';

// `packer set … --yes` to a running daemon takes a lean path without oclif (src/lean-set.ts); with no daemon
// running the oclif command starts one and does the same. These tests hold the lean path to what users rely on:
// it prints what the oclif command prints, its change is made once, and an apply whose answer goes wrong is
// reported, never sent a second time.

/** What differs between two projects doing the same thing: revisions, operation and plan ids. */
function normalised(text: string): string {
  return text
    .replace(/\b\d{13,}\b/g, '<revision>')
    .replace(/\bop_[0-9A-Z]+\b/g, '<operation>')
    .replace(/\bplan_[\w-]+/g, '<plan>');
}

/** A mutation command's --json outcome. */
type Outcome = { applied: boolean; result?: { revisionBefore: number; revisionAfter: number } };

describe('packer set --yes through a running daemon', { timeout: 90_000 }, () => {
  test('prints what the oclif command prints, for people and for scripts, and the change is made once', async ({
    expect,
    onTestFinished,
  }) => {
    // Two copies of one project: in the first, no daemon runs, so the oclif command starts one and answers.
    const [viaOclif, viaLean] = [
      await fixtureProject('sample-game', onTestFinished),
      await fixtureProject('sample-game', onTestFinished),
    ];
    expect((await packer(viaLean, ['daemon', 'start'])).code).toBe(0);
    // From the second run on both daemons run: `--all` is a flag the lean path leaves to oclif (it prints the same
    // for plans this small), so the first project keeps answering through oclif.
    const both = async (args: string[]): Promise<[PackerRun, PackerRun]> => {
      const oclifRun = await packer(viaOclif, [...args, '--all']);
      const leanRun = await packer(viaLean, args);
      expect(oclifRun.code, oclifRun.stderr).toBe(0);
      expect(leanRun.code, leanRun.stderr).toBe(0);
      return [oclifRun, leanRun];
    };

    const [oclifJson, leanJson] = await both([
      'set',
      'assets/backgrounds/hills.png',
      '--tag',
      'sky',
      '--tag=far',
      'maxSize=512',
      '--yes',
      '--json',
    ]);
    expect(runningDaemonPid(viaOclif)).toBeDefined(); // the oclif run started it
    expect(normalised(leanJson.stdout)).toBe(normalised(oclifJson.stdout));
    const outcome = leanJson.json<Outcome>();
    expect(outcome.applied).toBe(true);
    expect(outcome.result!.revisionAfter).toBeGreaterThan(outcome.result!.revisionBefore);

    const [oclifText, leanText] = await both([
      'set',
      'assets/text/credits.md',
      '--untag',
      'x',
      '--kind',
      'binary',
      '--yes',
    ]);
    expect(normalised(leanText.stdout)).toBe(normalised(oclifText.stdout));
    expect(leanText.stdout).toMatch(/^Applied: revision \d+ → \d+ \(operation op_/m);

    // Nothing to change: the plan and no apply, as the oclif command says it.
    const [oclifSame, leanSame] = await both(['set', 'assets/backgrounds/hills.png', '--tag', 'sky', '--yes']);
    expect(normalised(leanSame.stdout)).toBe(normalised(oclifSame.stdout));
    expect(leanSame.stdout).toContain('Nothing to change.');

    // The change was made once, as asked: the asset has each tag once and the setting as its kind types it.
    const show = await packer(viaLean, ['show', 'assets/backgrounds/hills.png', '--json']);
    expect(show.json<{ asset: { tags: string[]; settings: Record<string, unknown> } }>().asset).toMatchObject({
      tags: ['far', 'sky'],
      settings: { maxSize: 512 },
    });
  });

  test('a path relative to -C, an id, and a bad pair or a blocked plan answer as the oclif command does', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    expect((await packer(root, ['daemon', 'start'])).code).toBe(0);
    const relative = await packer(path.dirname(root), [
      '-C',
      path.join(path.basename(root), 'assets'),
      'set',
      'backgrounds/hills.png',
      '--tag',
      'c',
      '--yes',
      '--json',
    ]);
    expect(relative.code, relative.stderr).toBe(0);
    type Applied = { plan: { mutation: { target: string }; registryMutations: { after: { id: string } }[] } };
    const { plan } = relative.json<Applied>();
    expect(plan.mutation.target).toBe('assets/backgrounds/hills.png');
    const byId = await packer(root, ['set', plan.registryMutations[0]!.after.id, '--untag', 'c', '--yes', '--json']);
    expect(byId.code, byId.stderr).toBe(0);
    expect(byId.json<Applied>().plan.registryMutations[0]!.after).toMatchObject({ tags: [] });

    const badPair = await packer(root, ['set', 'assets/backgrounds/hills.png', 'nokey', '--yes']);
    expect(badPair.code).toBe(2);
    expect(badPair.errorText).toContain('Expected key=value, got "nokey".');

    const blocked = await packer(root, ['set', 'assets/none.png', '--tag', 'x', '--yes', '--json']);
    expect(blocked.code).toBe(1);
    expect(blocked.json<{ error: { code: string } }>().error.code).toBe('BLOCKED');
  });
});

describe('packer set --yes when the apply is answered badly', { timeout: 60_000 }, () => {
  /**
   * A project whose socket is served by a stand-in daemon: it says hello in our protocol, previews a one-change
   * plan, and answers the apply with `onApply`. Returns the project and the methods it was asked for.
   */
  async function standIn(
    onFinished: (fn: () => Promise<void>) => void,
    onApply: (socket: net.Socket, id: number) => void,
  ): Promise<{ root: string; methods: string[] }> {
    const root = await emptyFolder(onFinished);
    mkdirSync(path.join(root, 'assets'));
    writeFileSync(path.join(root, 'packer.json'), '{"name":"stand-in"}\n');
    const methods: string[] = [];
    const plan = {
      mutation: { type: 'update', target: 'assets/a.png', addTags: ['t'] },
      baseRevision: 7,
      blockers: [],
      warnings: [],
      registryMutations: [],
      filesystemMutations: [],
      planId: 'plan_standin',
      counts: {
        registryMutations: 1,
        filesystemMutations: 0,
        blockers: 0,
        warnings: 0,
        registry: { add: 0, remove: 0, update: 1 },
        filesystem: { move: 0, delete: 0 },
      },
      truncated: true,
      nextPages: {},
    };
    const answers: Record<string, unknown> = {
      'daemon.hello': { protocolVersion: PROTOCOL_VERSION, pid: 4_194_303, projectRoot: root },
      'mutation.preview': plan,
    };
    await standInDaemon(root, onFinished, (request, socket) => {
      methods.push(request.method);
      if (request.method === 'mutation.apply') onApply(socket, request.id!);
      else answer(socket, request, answers[request.method] ?? {});
    });
    return { root, methods };
  }

  test('a connection lost before the apply is answered: CONNECTION_LOST, outcome unknown, and no second apply', async ({
    expect,
    onTestFinished,
  }) => {
    const { root, methods } = await standIn(onTestFinished, (socket) => socket.destroy());
    const run = await packer(root, ['set', 'assets/a.png', '--tag', 't', '--yes']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Preview of update against revision 7:');
    expect(run.errorText).toContain('closed before it answered mutation.apply; the outcome is unknown.');
    expect(run.errorText).toContain('packer history');
    expect(methods.filter((method) => method === 'mutation.apply')).toHaveLength(1);
    expect(readFileSync(path.join(root, 'packer.json'), 'utf8')).toBe('{"name":"stand-in"}\n');
  });

  test("the packer's refusal of the apply is printed as the packer worded it, with its code, once", async ({
    expect,
    onTestFinished,
  }) => {
    const { root, methods } = await standIn(onTestFinished, (socket, id) =>
      socket.write(
        `${JSON.stringify({
          jsonrpc: '2.0',
          id,
          error: {
            code: -32001,
            message: 'The snapshot moved on since revision 7.',
            data: { code: 'CONFLICT', hint: 'Preview again.' },
          },
        })}\n`,
      ),
    );
    const json = await packer(root, ['set', 'assets/a.png', '--tag', 't', '--yes', '--json']);
    expect(json.code).toBe(1);
    expect(json.json()).toEqual({
      error: { code: 'CONFLICT', message: 'The snapshot moved on since revision 7.', data: { hint: 'Preview again.' } },
    });
    const human = await packer(root, ['set', 'assets/a.png', '--tag', 't', '--yes']);
    expect(human.code).toBe(1);
    expect(human.errorText).toContain('The snapshot moved on since revision 7.');
    expect(human.errorText).toContain('Hint: Preview again.');
    expect(methods.filter((method) => method === 'mutation.apply')).toHaveLength(2); // one per run
  });
});
