import { describe, expect, it } from 'vitest';
import { validateConfig } from './load-config.js';

const base = { name: 'game', kinds: { image: { extensions: ['.png'] } } };

describe('pack filters in packer.json', () => {
  it('refuses a pack kind that no kind rule defines, naming the field (a typo would ship an empty pack)', () => {
    const attempt = () =>
      validateConfig(
        {
          ...base,
          packs: [
            { name: 'art', kinds: ['image'] },
            { name: 'ui', kinds: ['image', 'imgae'] },
          ],
        },
        'packer.json',
      );
    expect(attempt).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        data: expect.objectContaining({ field: 'packs[1].kinds[1]' }),
      }),
    );
    expect(attempt).toThrow(
      'field "packs[1].kinds[1]" is invalid: names kind "imgae", which "kinds" does not define (known: image, other)',
    );
  });

  it('accepts defined kinds and the fallback kind "other", and defaults allowEmpty to false', () => {
    const config = validateConfig({ ...base, packs: [{ name: 'art', kinds: ['image', 'other'] }] }, 'packer.json');
    expect(config.packs[0]).toMatchObject({ kinds: ['image', 'other'], allowEmpty: false });
  });
});
