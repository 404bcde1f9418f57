import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPackerError } from '../contract/errors.js';
import { makeTempDir } from '../testing/temp-dirs.js';
import {
  installMergeDriver,
  MERGE_ATTRIBUTES_LINE,
  MERGE_ATTRIBUTES_SHARD_LINE,
  shellQuote,
} from './merge-driver-setup.js';

const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

describe('installMergeDriver', () => {
  it('quotes every word so the shell git runs the driver with reads it back unchanged', () => {
    const words = ['/usr/bin/node', "/home/o'neil/my game/bin/run.js", '$HOME', 'a;b', 'plain-word_1.js'];
    const echoed = execFileSync('sh', ['-c', `printf '%s\\n' ${words.map(shellQuote).join(' ')}`], {
      encoding: 'utf8',
    });
    expect(echoed.split('\n').slice(0, -1)).toEqual(words);
  });

  it('refuses a folder outside any repository unless asked to start one; keeps what .gitattributes already says', () => {
    const root = makeTempDir('merge-driver-setup-');
    const project = path.join(root, "o'neil game");
    mkdirSync(project);
    let refusal: unknown;
    try {
      installMergeDriver(project, ['node', 'bin.js'], {});
    } catch (error) {
      refusal = error;
    }
    // A temp folder could sit inside a repository on some machine; then the install just works and this is moot.
    if (refusal !== undefined) expect(isPackerError(refusal, 'NOT_FOUND')).toBe(true);
    writeFileSync(path.join(project, '.gitattributes'), '*.png binary');
    const first = installMergeDriver(project, ['/opt/node', path.join(project, 'bin', 'run.js')], {
      initRepository: true,
    });
    const second = installMergeDriver(project, ['/opt/node', path.join(project, 'bin', 'run.js')], {
      initRepository: true,
    });
    expect([first.attributes, second.attributes]).toEqual(['added', 'present']);
    expect(readFileSync(path.join(project, '.gitattributes'), 'utf8')).toBe(
      `*.png binary\n${MERGE_ATTRIBUTES_LINE}\n${MERGE_ATTRIBUTES_SHARD_LINE}\n`,
    );
    const driver = execFileSync('git', ['config', 'merge.packer-registry.driver'], {
      cwd: project,
      env: GIT_ENV,
      encoding: 'utf8',
    }).trim();
    expect(driver).toBe(`/opt/node ${shellQuote(path.join(project, 'bin', 'run.js'))} merge-driver %O %A %B %P`);
  });
});
