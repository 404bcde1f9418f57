import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { moduleGraph, type ModuleGraph } from './support/module-graph.js';

// The compiled output is what a bundler (or Node) loads: run `npx tsc -b` first.
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

/** Packages only the daemon needs: its watchers, its WebSocket server, the daemon itself. */
const DAEMON_ONLY = ['@packer/daemon', '@parcel/watcher', 'chokidar', 'ws'];

function graphOf(entry: string): ModuleGraph {
  expect(existsSync(path.join(dist, entry)), `studio-adapter/dist/${entry} (run \`npx tsc -b\`)`).toBe(true);
  return moduleGraph(path.join(dist, entry));
}

const posix = (file: string): string => file.split(path.sep).join('/');
const reachedFiles = (graph: ModuleGraph): string[] => [...graph.files].map(posix);
const importersOf = (graph: ModuleGraph, name: string): string[] =>
  [...(graph.packages.get(name) ?? [])].map((file) => posix(path.relative(dist, file)));

describe('the browser entry', () => {
  it('has no Node built-in anywhere in its compiled import graph', () => {
    const graph = graphOf('browser.js');
    expect(
      graph.builtins.map(
        ({ module, chain }) => `${module} via ${chain.map((file) => path.basename(file)).join(' > ')}`,
      ),
    ).toEqual([]);
    expect(graph.unresolved).toEqual([]);
    // Not vacuous: the walk reached the client library's core, the contract's runtime and the JSON-RPC library.
    const reached = reachedFiles(graph);
    for (const expected of [
      'client/dist/common/daemon-client.js',
      'client/dist/common/rpc-connection.js',
      'packer-core/dist/contract/runtime.js',
      'json-rpc-2.0/dist/index.js',
    ]) {
      expect(
        reached.some((file) => file.endsWith(expected)),
        expected,
      ).toBe(true);
    }
    expect(reached.some((file) => file.includes('/node_modules/ws/') || file.includes('/node_modules/zod/'))).toBe(
      false,
    );
  });

  it('reaches the client library only through its Node-free part, and nothing of the daemon', () => {
    const graph = graphOf('browser.js');
    expect([...graph.packages.keys()].sort()).toEqual(['@packer/client', '@packer/core', 'json-rpc-2.0']);
    for (const name of DAEMON_ONLY) expect(importersOf(graph, name), name).toEqual([]);
    expect(
      reachedFiles(graph).filter((file) => file.includes('/client/dist/node/') || file.includes('/daemon/dist/')),
    ).toEqual([]);
  });

  it('the walker does find Node built-ins where there are some: the Node entry', () => {
    const graph = graphOf('index.js');
    const modules = new Set(graph.builtins.map((item) => item.module));
    expect(modules.has('node:net')).toBe(true);
    expect(reachedFiles(graph).some((file) => file.endsWith('client/dist/node/socket-transport.js'))).toBe(true);
  });
});

describe('the Node entry', () => {
  it('reaches no daemon-only package: no watcher, no WebSocket server, not the daemon', () => {
    const graph = graphOf('index.js');
    // ws `require`s its optional native helpers inside a try; they are not installed.
    expect(graph.unresolved.filter(({ from }) => !posix(from).includes('/node_modules/ws/'))).toEqual([]);
    expect(importersOf(graph, '@packer/daemon')).toEqual([]);
    expect(importersOf(graph, '@parcel/watcher')).toEqual([]);
    expect(importersOf(graph, 'chokidar')).toEqual([]);
    expect(reachedFiles(graph).filter((file) => file.includes('/daemon/dist/'))).toEqual([]);
    // `ws` is the Node entry's own WebSocket client (connectUrl in Node 20 has no global WebSocket), imported
    // by that one file: nothing below the client library brings it.
    expect(importersOf(graph, 'ws')).toEqual(['index.js']);
  });
});
