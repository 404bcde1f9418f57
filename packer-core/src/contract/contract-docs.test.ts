import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contractJsonSchema, contractMarkdown, METHOD_EXAMPLES } from './contract-docs.js';
import { Methods } from './methods.js';

const docs = new URL('../../../docs/', import.meta.url);

describe('contract documentation', () => {
  it('is checked in and matches the zod contract (run `npm run docs` after changing the contract)', () => {
    expect(readFileSync(new URL('protocol.md', docs), 'utf8')).toBe(contractMarkdown());
    expect(JSON.parse(readFileSync(new URL('contract.schema.json', docs), 'utf8'))).toEqual(contractJsonSchema());
  });

  it('documents every method, with examples that pass the method schemas', () => {
    const markdown = contractMarkdown();
    for (const name of Object.keys(Methods)) expect(markdown).toContain(`### \`${name}\``);
    for (const [name, example] of Object.entries(METHOD_EXAMPLES)) {
      expect(Methods[name as keyof typeof Methods].params.safeParse(example).success).toBe(true);
    }
  });
});
