import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/load-config.js';
import { engineExampleConfigs } from '../workspace/init-project.js';
import { configJsonSchema, configMarkdown } from './config-docs.js';
import { configDescriptionsModule, readConfigDescriptions } from './config-jsdoc.js';

const docs = new URL('../../../docs/', import.meta.url);
const source = readFileSync(new URL('config-schema.ts', import.meta.url), 'utf8');

describe('packer.json reference', () => {
  it('is checked in and matches the zod schema and its JSDoc (run `npm run docs` after changing config-schema.ts)', () => {
    const descriptions = readConfigDescriptions(source);
    expect(readFileSync(new URL('config-descriptions.ts', import.meta.url), 'utf8')).toBe(
      configDescriptionsModule(descriptions),
    );
    expect(readFileSync(new URL('config.md', docs), 'utf8')).toBe(configMarkdown(engineExampleConfigs(), descriptions));
    expect(JSON.parse(readFileSync(new URL('packer.schema.json', docs), 'utf8'))).toEqual(
      configJsonSchema(descriptions),
    );
  });

  it('describes every field, so a new field without JSDoc fails here', () => {
    const undescribed: string[] = [];
    const visit = (node: Record<string, unknown> | undefined, at: string): void => {
      if (!node || typeof node !== 'object') return;
      for (const [field, child] of Object.entries((node.properties as Record<string, Record<string, unknown>>) ?? {})) {
        if (!child.description) undescribed.push(`${at}${field}`);
        visit(child, `${at}${field}.`);
      }
      visit(node.additionalProperties as Record<string, unknown>, `${at}<name>.`);
      visit(node.items as Record<string, unknown>, `${at}[].`);
    };
    visit(configJsonSchema(), '');
    expect(undescribed).toEqual([]);
  });

  it('shows, per engine, a config packer accepts and that names the schema', () => {
    for (const [engine, config] of Object.entries(engineExampleConfigs())) {
      expect(() => validateConfig(config, `${engine}/packer.json`), engine).not.toThrow();
      expect(config.$schema).toBe('./.packer/packer.schema.json');
    }
  });
});
