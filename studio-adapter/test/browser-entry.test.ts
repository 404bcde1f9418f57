import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { moduleGraph } from './support/module-graph.js';

// The compiled output is what a bundler sees: run `npx tsc -b` first.
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

describe('the browser entry', () => {
  it('has no Node built-in anywhere in its compiled import graph', () => {
    expect(existsSync(path.join(dist, 'browser.js')), 'studio-adapter/dist/browser.js (run `npx tsc -b`)').toBe(true);
    const graph = moduleGraph(path.join(dist, 'browser.js'));
    expect(graph.builtins.map(({ module, chain }) => `${module} via ${chain.map((file) => path.basename(file)).join(' > ')}`)).toEqual([]);
    expect(graph.unresolved).toEqual([]);
    // Not vacuous: the walk reached the client library, the contract's runtime and the JSON-RPC library.
    const reached = [...graph.files].map((file) => file.split(path.sep).join('/'));
    for (const expected of ['daemon/dist/client/daemon-client.js', 'daemon/dist/client/rpc-connection.js', 'packer-core/dist/contract/runtime.js', 'json-rpc-2.0/dist/index.js']) {
      expect(reached.some((file) => file.endsWith(expected)), expected).toBe(true);
    }
    expect(reached.some((file) => file.includes('/node_modules/ws/') || file.includes('/node_modules/zod/'))).toBe(false);
  });

  it('the walker does find Node built-ins where there are some: the Node entry', () => {
    const graph = moduleGraph(path.join(dist, 'index.js'));
    const modules = new Set(graph.builtins.map((item) => item.module));
    expect(modules.has('node:net')).toBe(true);
    expect([...graph.files].some((file) => file.split(path.sep).join('/').includes('/node_modules/ws/'))).toBe(true);
  });
});
