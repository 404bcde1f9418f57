#!/usr/bin/env node
// Regenerates docs/protocol.md and docs/contract.schema.json from the compiled zod contract, and the packer.json
// reference (docs/config.md, docs/packer.schema.json, src/contract/config-descriptions.ts) from config-schema.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { contractJsonSchema, contractMarkdown } from '../dist/contract/contract-docs.js';
import { configJsonSchema, configMarkdown } from '../dist/contract/config-docs.js';
import { configDescriptionsModule, readConfigDescriptions } from '../dist/contract/config-jsdoc.js';
import { engineExampleConfigs } from '../dist/workspace/init-project.js';

const docs = new URL('../../docs/', import.meta.url);
const contract = new URL('../src/contract/', import.meta.url);
writeFileSync(new URL('protocol.md', docs), contractMarkdown());
writeFileSync(new URL('contract.schema.json', docs), JSON.stringify(contractJsonSchema(), null, 2) + '\n');
// The descriptions come from the source, so the docs are right even before the next compile picks them up.
const descriptions = readConfigDescriptions(readFileSync(new URL('config-schema.ts', contract), 'utf8'));
writeFileSync(new URL('config-descriptions.ts', contract), configDescriptionsModule(descriptions));
writeFileSync(new URL('config.md', docs), configMarkdown(engineExampleConfigs(), descriptions));
writeFileSync(new URL('packer.schema.json', docs), JSON.stringify(configJsonSchema(descriptions), null, 2) + '\n');
console.log(
  'wrote docs/protocol.md, docs/contract.schema.json, docs/config.md, docs/packer.schema.json and config-descriptions.ts',
);
