#!/usr/bin/env node
// `npm run build -w cli`: writes cli/oclif.manifest.json from the compiled commands (run after `tsc -b`).
const { writeManifest } = await import('../dist/oclif-manifest.js');
console.log(`wrote ${await writeManifest()}`);
