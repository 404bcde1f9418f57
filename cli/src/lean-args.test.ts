import { describe, expect, it } from 'vitest';
import { parseLeanArgs } from './lean-args.js';

const SET = {
  switches: { '--yes': 'yes', '-y': 'yes' },
  values: { '--tag': 'tag', '--kind': 'kind' },
  repeatable: ['tag'],
  positionals: { min: 1, more: true },
};

describe('parseLeanArgs', () => {
  it('reads global flags, switches, repeatable values in both spellings, and the other arguments in order', () => {
    const parsed = parseLeanArgs(
      ['a.png', '--tag', 'ui', 'size=2', '--tag=far', '-C', 'game', '--no-daemon', '-y', '--kind=binary'],
      SET,
    );
    expect(parsed).toEqual({
      json: false,
      project: 'game',
      daemon: false,
      switches: new Set(['yes']),
      values: new Map([
        ['tag', ['ui', 'far']],
        ['kind', ['binary']],
      ]),
      positionals: ['a.png', 'size=2'],
    });
  });

  it('leaves to oclif whatever it does not read as oclif would', () => {
    for (const args of [
      ['a.png', '--all'], // a flag it does not take
      ['a.png', '--tag'], // a value missing
      ['a.png', '--tag', '--yes'], // a value that is a flag
      ['a.png', '--kind', 'a', '--kind', 'b'], // a single-value flag twice
      ['a.png', '--daemon', '--no-daemon'],
      ['a.png', '--', '--tag'], // the end of flags
      ['a.png', '--yes=true'], // a switch with a value
      ['-Cgame', 'a.png'],
      [], // no target
    ])
      expect(parseLeanArgs(args, SET), args.join(' ')).toBeUndefined();
    expect(parseLeanArgs(['extra'])).toBeUndefined(); // status takes no argument
  });

  it('leaves to oclif a command asked for JSON through PACKER_CONTENT_TYPE', () => {
    process.env.PACKER_CONTENT_TYPE = 'json';
    try {
      expect(parseLeanArgs([])).toBeUndefined();
    } finally {
      delete process.env.PACKER_CONTENT_TYPE;
    }
    expect(parseLeanArgs([])).toMatchObject({ json: false });
  });
});
