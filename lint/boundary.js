// @ts-check
/**
 * The boundary between the packer and its consumers, as lint rules. The CLI, the Studio adapter and the Studio page
 * reach the packer only through its contract (`@packer/core/contract`, `…/runtime`) and the client library
 * (`@packer/client`, or its Node-free `@packer/client/browser`); they never import packer-core's internals or the
 * daemon, and they leave workspace and registry files to the packer. studio-adapter/test/boundary-lint.test.ts runs
 * forbidden samples through this configuration, so a rule that silently stops matching fails the suite.
 *
 * `no-restricted-imports` carries the rule for `import` and `export … from`; `no-restricted-syntax` carries it for
 * what that rule does not see (`import()`, `import('…').Type`, `require()`) and for naming the packer's files;
 * `packer/no-relative-escape` stops a relative path from reaching into another package.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

const CONTRACT = ['@packer/core/contract', '@packer/core/contract/runtime'];
/** The client library for Node: the Unix socket, finding and starting the daemon. */
const NODE_CLIENT = '@packer/client';
/** The client library's Node-free core. */
const BROWSER_CLIENT = '@packer/client/browser';
/** Modules that read the disk. */
const FILESYSTEM_MODULES = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'fs-extra', 'graceful-fs'];
/** Tests set up fixtures however they need; the boundary is for production sources. */
const TESTS = ['**/*.test.ts', '**/*.test.tsx', '**/test/**'];

const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const oneOf = (names) => `(${names.map(escapeRegex).join('|')})`;

/**
 * One area of consumer code and what it may import. Later areas override earlier ones for the files they name, so
 * each area states its whole allowance (flat config replaces a rule's options, it does not merge them).
 * @typedef {{ files: string[], packer: string[], filesystem?: boolean, onlyModules?: string[] }} Area
 * @type {Area[]}
 */
export const AREAS = [
  { files: ['studio-adapter/src/**'], packer: [...CONTRACT, BROWSER_CLIENT] },
  // The Node entry opens a project by folder: it finds or starts the daemon.
  { files: ['studio-adapter/src/connect-project.ts'], packer: [...CONTRACT, BROWSER_CLIENT, NODE_CLIENT] },
  { files: ['cli/src/**'], packer: [...CONTRACT, NODE_CLIENT] },
  // Files that touch the disk for their own purposes, never a workspace or registry file: `packer daemon logs`
  // prints .packer/daemon.log; `packer --version` on the lean path reads the CLI's own package.json; `packer studio`
  // serves the built page, reads the token the daemon writes for local clients and hands the browser an owner-only
  // redirect file; the bin keeps oclif's manifest of the CLI's own commands current.
  {
    files: [
      'cli/src/commands/daemon/logs.ts',
      'cli/src/fast-path.ts',
      'cli/src/oclif-manifest.ts',
      'cli/src/studio/studio-page-server.ts',
      'cli/src/studio/websocket-endpoint.ts',
      'cli/src/studio/open-in-browser.ts',
    ],
    packer: [...CONTRACT, NODE_CLIENT],
    filesystem: true,
  },
  // The lean `packer status` and `packer set … --yes` send their requests before the rest loads, through the client
  // library's entry that uses Node built-ins only (`@packer/client/pipelined`), so the daemon's synced read runs
  // during the CLI's start-up.
  { files: ['cli/src/fast-path.ts'], packer: [...CONTRACT, NODE_CLIENT, '@packer/client/pipelined'], filesystem: true },
  { files: ['cli/src/lean-set.ts'], packer: [...CONTRACT, NODE_CLIENT, '@packer/client/pipelined'] },
  // The packer's own code, run in the CLI's process where no daemon can serve: git runs the registry merge driver on
  // three temp files mid-merge (and takes the result back in %A), and the driver's installer writes .gitattributes
  // and git's config before any daemon exists. Both call the core; neither decides.
  { files: ['cli/src/commands/merge-driver.ts'], packer: [...CONTRACT, NODE_CLIENT, '@packer/core'], filesystem: true },
  { files: ['cli/src/commands/git/install.ts'], packer: [...CONTRACT, NODE_CLIENT, '@packer/core'] },
  // The reference Studio page: the adapter's browser entry, React, and its own files.
  {
    files: ['studio-web/src/**'],
    packer: ['@packer/studio-adapter/browser'],
    onlyModules: ['@packer/studio-adapter/browser', 'react', 'react-dom/client'],
  },
];

/** Every file an area names, for the test that checks no entry has gone stale. */
export const NAMED_FILES = AREAS.flatMap((area) => area.files).filter((file) => !file.includes('*'));

/** @param {Area} area */
function restrictedImports(area) {
  const packerMessage = `Consumers reach the packer only through ${area.packer.join(', ')}.`;
  const patterns = area.onlyModules
    ? [
        {
          regex: `^(?!\\./|${oneOf(area.onlyModules)}$)`,
          message: `Import only ${area.onlyModules.join(', ')} and ./ files.`,
        },
      ]
    : [
        {
          regex: `^@packer/(?!${oneOf(area.packer.map((name) => name.slice('@packer/'.length)))}$)`,
          message: packerMessage,
        },
      ];
  const paths = area.filesystem
    ? []
    : FILESYSTEM_MODULES.map((name) => ({ name, message: "Workspace and registry files are the packer's to read." }));
  return ['error', { paths, patterns }];
}

/** @param {Area} area */
function restrictedSyntax(area) {
  const allowed = area.onlyModules ?? area.packer;
  const forbiddenModule = area.onlyModules
    ? `/^(?!\\.\\/|${oneOf(allowed)}$)/`
    : `/^@packer\\/(?!${oneOf(allowed.map((name) => name.slice('@packer/'.length)))}$)/`;
  const packerFiles = area.filesystem ? '/packer\\.registry\\.json|packer\\.json/' : '/packer\\.registry\\.json/';
  const selectors = [
    {
      selector: 'ImportExpression:not([source.type="Literal"])',
      message: 'An import whose module name is computed cannot be checked against the boundary.',
    },
    {
      selector: `ImportExpression[source.value=${forbiddenModule}]`,
      message: `Consumers reach the packer only through ${allowed.join(', ')}.`,
    },
    {
      selector: `TSImportType[source.value=${forbiddenModule}]`,
      message: `Consumers reach the packer only through ${allowed.join(', ')}.`,
    },
    {
      selector: 'CallExpression[callee.name="require"], TSExternalModuleReference',
      message: 'Use import: require() escapes the boundary check.',
    },
    {
      selector: `Literal[value=${packerFiles}], TemplateElement[value.raw=${packerFiles}]`,
      message: "Workspace and registry files are the packer's to read: ask the daemon through the client.",
    },
  ];
  if (!area.filesystem) {
    selectors.push({
      selector: `ImportExpression[source.value=/^${oneOf(FILESYSTEM_MODULES)}$/]`,
      message: "Workspace and registry files are the packer's to read.",
    });
  }
  return ['error', ...selectors];
}

/** The package folder a file belongs to: the nearest folder above it with a package.json. */
const packageRoots = new Map();
function packageRootOf(file) {
  const dir = path.dirname(file);
  if (!packageRoots.has(dir)) {
    const parent = path.dirname(dir);
    packageRoots.set(dir, existsSync(path.join(dir, 'package.json')) || parent === dir ? dir : packageRootOf(dir));
  }
  return packageRoots.get(dir);
}

/** @type {import('eslint').Rule.RuleModule} */
const noRelativeEscape = {
  meta: {
    type: 'problem',
    docs: { description: "Disallow relative imports that leave the file's package (use the other package's entry)" },
    schema: [],
    messages: { escape: "'{{specifier}}' leaves the package; import the other package by its name and entry point." },
  },
  create(context) {
    const file = context.filename;
    const root = packageRootOf(file);
    const check = (node) => {
      if (node?.type !== 'Literal' || typeof node.value !== 'string' || !node.value.startsWith('.')) return;
      const target = path.relative(root, path.resolve(path.dirname(file), node.value));
      if (target.startsWith('..') || path.isAbsolute(target)) {
        context.report({ node, messageId: 'escape', data: { specifier: node.value } });
      }
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      TSImportType: (node) => check(node.source),
      TSExternalModuleReference: (node) => check(node.expression),
    };
  },
};

export const packerPlugin = { meta: { name: 'packer' }, rules: { 'no-relative-escape': noRelativeEscape } };

/** @type {import('eslint').Linter.Config[]} */
export const boundary = [
  {
    name: 'packer/no-relative-escape',
    files: ['*/src/**/*.{ts,tsx}'],
    ignores: TESTS,
    plugins: { packer: packerPlugin },
    rules: { 'packer/no-relative-escape': 'error' },
  },
  ...AREAS.map((area) => ({
    name: `packer/boundary: ${area.files.join(', ')}`,
    files: area.files,
    ignores: TESTS,
    rules: { 'no-restricted-imports': restrictedImports(area), 'no-restricted-syntax': restrictedSyntax(area) },
  })),
];
