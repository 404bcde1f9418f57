#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { freshBundle } from './fresh-bundle.js';

// The production daemon (daemon-main.js): from the one-file bundle that `npm run build` makes when it is fresh, as
// ~360 modules otherwise. Loading one file instead of ~360 takes ~0.3 s of CPU off every start (issue 11, warm open).
await import(freshBundle(fileURLToPath(new URL('..', import.meta.url))) ?? './daemon-main.js');
