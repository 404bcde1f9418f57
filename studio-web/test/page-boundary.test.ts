import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../../studio-adapter/test/support/import-boundary.js';
import { checkPackageOutcomes } from '../../studio-adapter/test/support/outcome-boundary.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const src = path.join(root, 'src');
const ALLOWED = new Set(['@packer/studio-adapter/browser', 'react', 'react-dom/client']);

function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    )
      found.push(node.moduleSpecifier.text);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      found.push(node.arguments[0] && ts.isStringLiteral(node.arguments[0]) ? node.arguments[0].text : '<computed>');
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('the reference Studio page reaches the packer only through the adapter’s browser entry', () => {
  it('imports nothing but @packer/studio-adapter/browser, React and its own files', () => {
    const files = sourceFiles(src);
    expect(files.length).toBeGreaterThan(5);
    const outside = files.flatMap((file) =>
      importsOf(file)
        .filter((specifier) => !specifier.startsWith('./') && !ALLOWED.has(specifier))
        .map((specifier) => `${path.basename(file)}: ${specifier}`),
    );
    expect(outside).toEqual([]);
  });

  it('creates none of the packer’s errors, outcomes or terminal events', () => {
    expect(checkPackageOutcomes(src, root)).toEqual([]);
  });
});
