import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** The contract: every consumer of the packer may import it. */
export const CONTRACT_IMPORTS: ReadonlySet<string> = new Set([
  '@packer/core/contract',
  '@packer/core/contract/runtime',
]);
/** The client library's Node-free core. */
export const BROWSER_CLIENT_IMPORT = '@packer/client/browser';
/** The client library for Node: the Unix socket, finding and starting the daemon. */
export const NODE_CLIENT_IMPORT = '@packer/client';

/** Modules that read the disk. */
const FILESYSTEM_MODULES: ReadonlySet<string> = new Set([
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'fs-extra',
  'graceful-fs',
]);

/** Files whose names say they are the packer's own: only the packer reads or writes them. */
const PACKER_FILES = /packer\.registry\.json/;
const PACKER_CONFIG = /packer\.json/;

export interface BoundaryRules {
  /** The package folder; relative imports must stay inside it. */
  packageRoot: string;
  /** Files (relative to the package root, `/`-separated) allowed to touch the filesystem for their own purposes. */
  filesystemAllowed: ReadonlySet<string>;
  /** Packer entry points any source file may import. */
  packerImports: ReadonlySet<string>;
  /** More packer entry points, allowed only in the named files (relative to the package root, `/`-separated). */
  packerImportsByFile?: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface Violation {
  file: string;
  line: number;
  rule: 'packer-internals' | 'relative-escape' | 'filesystem' | 'dynamic-import' | 'packer-files';
  detail: string;
}

/** Every module a source file names: static imports and exports, `import type`, `import()`, `require()`. */
function moduleReferences(source: ts.SourceFile): { specifier: string | undefined; node: ts.Node }[] {
  const found: { specifier: string | undefined; node: ts.Node }[] = [];
  const literal = (node: ts.Node | undefined): string | undefined =>
    node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      found.push({ specifier: literal(node.moduleSpecifier), node });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      found.push({ specifier: literal(node.moduleReference.expression), node });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      found.push({ specifier: literal(node.argument.literal), node });
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    ) {
      found.push({ specifier: literal(node.arguments[0]), node });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** String literals and template text in code (comments are not code). */
function stringTexts(source: ts.SourceFile): { text: string; node: ts.Node }[] {
  const found: { text: string; node: ts.Node }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node))
      found.push({ text: node.text, node });
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * Checks one source file against the boundary: packer modules only through the entry points the rules allow
 * (the contract and the client library), no relative path out of the package, no filesystem module outside the
 * allow-list, and no file that may touch the disk naming the packer's own files.
 */
export function checkSource(file: string, text: string, rules: BoundaryRules): Violation[] {
  const source = ts.createSourceFile(
    file,
    text,
    ts.ScriptTarget.Latest,
    true,
    file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const relative = path.relative(rules.packageRoot, file).split(path.sep).join('/');
  const violations: Violation[] = [];
  const add = (node: ts.Node, rule: Violation['rule'], detail: string): void => {
    violations.push({
      file: relative,
      line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
      rule,
      detail,
    });
  };
  let touchesFilesystem = false;
  for (const { specifier, node } of moduleReferences(source)) {
    if (specifier === undefined) {
      add(node, 'dynamic-import', 'an import whose module name is computed cannot be checked');
      continue;
    }
    if (
      specifier.startsWith('@packer/') &&
      !rules.packerImports.has(specifier) &&
      !rules.packerImportsByFile?.get(relative)?.has(specifier)
    ) {
      add(node, 'packer-internals', `imports ${specifier}; use ${[...rules.packerImports].join(', ')}`);
    } else if (specifier.startsWith('.') || path.isAbsolute(specifier)) {
      const target = path.resolve(path.dirname(file), specifier);
      if (
        path.relative(rules.packageRoot, target).startsWith('..') ||
        path.isAbsolute(path.relative(rules.packageRoot, target))
      ) {
        add(node, 'relative-escape', `imports ${specifier}, outside the package`);
      }
    } else if (FILESYSTEM_MODULES.has(specifier)) {
      touchesFilesystem = true;
      if (!rules.filesystemAllowed.has(relative))
        add(node, 'filesystem', `imports ${specifier}; workspace and registry files are the packer's to read`);
    }
  }
  for (const { text: literal, node } of stringTexts(source)) {
    if (PACKER_FILES.test(literal) || (touchesFilesystem && PACKER_CONFIG.test(literal)))
      add(node, 'packer-files', `names ${JSON.stringify(literal)}`);
  }
  return violations;
}

/** The package's production sources (tests excluded: they set up fixtures however they need). */
export function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(full));
    else if (
      /\.(ts|tsx|mts|cts)$/.test(entry.name) &&
      !/\.test\.tsx?$/.test(entry.name) &&
      !entry.name.endsWith('.d.ts')
    )
      files.push(full);
  }
  return files.sort();
}

export function checkPackage(srcDir: string, rules: BoundaryRules): Violation[] {
  return sourceFiles(srcDir).flatMap((file) => checkSource(file, readFileSync(file, 'utf8'), rules));
}
