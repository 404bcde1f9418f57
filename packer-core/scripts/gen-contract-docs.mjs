#!/usr/bin/env node
// Regenerates docs/protocol.md and docs/contract.schema.json from the compiled zod contract.
import { writeFileSync } from 'node:fs';
import { contractJsonSchema, contractMarkdown } from '../dist/contract/contract-docs.js';

const docs = new URL('../../docs/', import.meta.url);
writeFileSync(new URL('protocol.md', docs), contractMarkdown());
writeFileSync(new URL('contract.schema.json', docs), JSON.stringify(contractJsonSchema(), null, 2) + '\n');
console.log('wrote docs/protocol.md and docs/contract.schema.json');
