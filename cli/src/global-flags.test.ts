import { describe, expect, it } from 'vitest';
import { commandLine } from './global-flags.js';

describe('commandLine: global flags may come before the command, as with git -C', () => {
  it.each([
    [
      ['-C', 'proj', 'add', 'assets/x'],
      ['add', 'assets/x', '-C', 'proj'],
    ],
    [
      ['--no-daemon', 'show', 'a_1'],
      ['show', 'a_1', '--no-daemon'],
    ],
    [
      ['--project=proj', '--json', 'daemon', 'start'],
      ['daemon', 'start', '--project=proj', '--json'],
    ],
    [
      ['-Cproj', 'rm', 'x', '--', '-odd'],
      ['rm', 'x', '-Cproj', '--', '-odd'],
    ],
    [
      ['add', 'x', '-C', 'proj'],
      ['add', 'x', '-C', 'proj'],
    ],
    [
      ['-C', 'proj'],
      ['-C', 'proj'],
    ],
    [
      ['-C', 'proj', '--help'],
      ['-C', 'proj', '--help'],
    ],
    [['--version'], ['--version']],
  ])('%j → %j', (argv, expected) => {
    expect(commandLine(argv)).toEqual(expected);
  });
});
