import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ErrorCodes } from '@packer/core/contract/runtime';
import { sourceFiles } from './import-boundary.js';

/**
 * Error codes a client may raise itself, because they describe the client's own situation rather than an answer
 * of the packer's: it cannot reach the daemon, lost the connection, speaks another protocol, or had nobody to
 * confirm a mutation with. Every other code (BLOCKED, CONFLICT, NOT_FOUND, INTERNAL, …) is the packer's to give.
 */
export const CLIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'NOT_READY',
  'CONNECTION_LOST',
  'PROTOCOL_MISMATCH',
  'CONFIRMATION_REQUIRED',
]);

/** The `result` values of an audit record: only the packer decides and records them. */
const AUDIT_RESULTS: ReadonlySet<string> = new Set(['applied', 'blocked', 'conflict', 'failed']);

/** Terminal event types: an object carrying one of them and a payload is an event, and events are the packer's. */
const TERMINAL_EVENTS: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

export interface OutcomeViolation {
  file: string;
  line: number;
  rule: 'packer-error' | 'packer-outcome';
  detail: string;
}

const literalText = (node: ts.Node | undefined): string | undefined =>
  node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;

const propertyName = (node: ts.ObjectLiteralElementLike): string | undefined =>
  ts.isPropertyAssignment(node) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))
    ? node.name.text
    : undefined;

const isPackerErrorClass = (expression: ts.Expression): boolean =>
  (ts.isIdentifier(expression) && expression.text === 'PackerError') ||
  (ts.isPropertyAccessExpression(expression) && expression.name.text === 'PackerError');

/**
 * Checks that a consumer (CLI, Studio adapter) never speaks for the packer: it creates no PackerError with one of
 * the packer's codes (a computed code counts, since nothing says what it holds), writes no packer error code into
 * an error object (`{ code: 'BLOCKED' }`, oclif's `this.error(…, { code })` included), builds no audit outcome
 * (`result: 'blocked'`) and no terminal event. Reading them (`error.code === 'CONFLICT'`) is what consumers do.
 */
export function checkOutcomes(file: string, text: string, packageRoot: string): OutcomeViolation[] {
  const source = ts.createSourceFile(
    file,
    text,
    ts.ScriptTarget.Latest,
    true,
    file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const relative = path.relative(packageRoot, file).split(path.sep).join('/');
  const violations: OutcomeViolation[] = [];
  const add = (node: ts.Node, rule: OutcomeViolation['rule'], detail: string): void => {
    violations.push({
      file: relative,
      line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
      rule,
      detail,
    });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node) && isPackerErrorClass(node.expression)) {
      const code = literalText(node.arguments?.[0]);
      if (code === undefined)
        add(node, 'packer-error', 'creates a PackerError with a computed code; only the packer may give its codes');
      else if (!CLIENT_ERROR_CODES.has(code))
        add(node, 'packer-error', `creates a ${code} PackerError; that answer is the packer's to give`);
    } else if (ts.isObjectLiteralExpression(node)) {
      const properties = new Map<string, ts.Expression>();
      for (const property of node.properties) {
        const name = propertyName(property);
        if (name !== undefined && ts.isPropertyAssignment(property)) properties.set(name, property.initializer);
      }
      const code = literalText(properties.get('code'));
      if (code !== undefined && code in ErrorCodes && !CLIENT_ERROR_CODES.has(code))
        add(node, 'packer-error', `writes the packer's error code ${code}`);
      const result = literalText(properties.get('result'));
      if (result !== undefined && AUDIT_RESULTS.has(result))
        add(node, 'packer-outcome', `builds an audit outcome (result: '${result}')`);
      const type = literalText(properties.get('type'));
      if (type !== undefined && TERMINAL_EVENTS.has(type) && properties.has('payload'))
        add(node, 'packer-outcome', `builds a terminal '${type}' event`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return violations;
}

export function checkPackageOutcomes(srcDir: string, packageRoot: string): OutcomeViolation[] {
  return sourceFiles(srcDir).flatMap((file) => checkOutcomes(file, readFileSync(file, 'utf8'), packageRoot));
}
