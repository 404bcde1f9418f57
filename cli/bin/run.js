#!/usr/bin/env node
// The `packer` binary: compiled JavaScript, explicit command table, heavy modules loaded only by the commands that draw.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
