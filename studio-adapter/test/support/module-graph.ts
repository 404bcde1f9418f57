import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

export interface ModuleGraph {
  /** Every file reached, absolute. */
  files: Set<string>;
  /** Node built-ins reached, each with the chain of files that leads to it. */
  builtins: { module: string; chain: string[] }[];
  /** Bare specifiers that could not be resolved. */
  unresolved: { specifier: string; from: string }[];
  /** Every package reached (by name, as imported), with the files that import it. */
  packages: Map<string, Set<string>>;
}

const BUILTINS = new Set(builtinModules);

export function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0]!);
}

/** Module names a compiled JS file loads: static imports/exports, `import()`, `require()`. */
function specifiersOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      // Type-only imports are gone from compiled JS; `import type` cannot appear here.
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    ) {
      const first = node.arguments[0];
      if (first && ts.isStringLiteralLike(first)) found.push(first.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function asFile(candidate: string): string | undefined {
  for (const option of [
    candidate,
    `${candidate}.js`,
    `${candidate}.mjs`,
    `${candidate}.cjs`,
    path.join(candidate, 'index.js'),
  ]) {
    if (existsSync(option) && statSync(option).isFile()) return option;
  }
  return undefined;
}

/** Picks an `exports` target. Deliberately without the `browser` condition: a Node-only package must show up. */
function exportTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(exportTarget).find((item) => item !== undefined);
  if (value && typeof value === 'object') {
    for (const [condition, target] of Object.entries(value)) {
      if (['import', 'module', 'default', 'require'].includes(condition)) {
        const resolved = exportTarget(target);
        if (resolved !== undefined) return resolved;
      }
    }
  }
  return undefined;
}

/** The package a bare specifier names: `@scope/name` or `name`. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function resolvePackage(specifier: string, from: string): string | undefined {
  const name = packageNameOf(specifier);
  const subpath = specifier.slice(name.length);
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    const packageDir = path.join(dir, 'node_modules', name);
    const manifestFile = path.join(packageDir, 'package.json');
    if (existsSync(manifestFile)) {
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
        exports?: unknown;
        module?: string;
        main?: string;
      };
      if (manifest.exports !== undefined) {
        const exportsMap = manifest.exports as Record<string, unknown>;
        const keyed =
          typeof exportsMap === 'object' &&
          !Array.isArray(exportsMap) &&
          Object.keys(exportsMap).some((key) => key.startsWith('.'));
        const entry = keyed ? exportsMap[`.${subpath}`] : subpath === '' ? manifest.exports : undefined;
        const target = exportTarget(entry);
        return target === undefined ? undefined : asFile(path.join(packageDir, target));
      }
      return asFile(path.join(packageDir, subpath || manifest.module || manifest.main || 'index.js'));
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Walks the import graph from an entry file through relative and package imports. */
export function moduleGraph(entry: string): ModuleGraph {
  const graph: ModuleGraph = { files: new Set(), builtins: [], unresolved: [], packages: new Map() };
  const walk = (file: string, chain: string[]): void => {
    if (graph.files.has(file)) return;
    graph.files.add(file);
    for (const specifier of specifiersOf(file)) {
      if (isNodeBuiltin(specifier)) {
        graph.builtins.push({ module: specifier, chain: [...chain, file] });
        continue;
      }
      const relative = specifier.startsWith('.');
      const target = relative ? asFile(path.resolve(path.dirname(file), specifier)) : resolvePackage(specifier, file);
      if (!relative) {
        const importers = graph.packages.get(packageNameOf(specifier)) ?? new Set<string>();
        graph.packages.set(packageNameOf(specifier), importers.add(file));
      }
      if (target === undefined) graph.unresolved.push({ specifier, from: file });
      else walk(realpathSync(target), [...chain, file]);
    }
  };
  // Workspace packages are symlinks in node_modules: walk each real file once.
  walk(realpathSync(entry), []);
  return graph;
}
