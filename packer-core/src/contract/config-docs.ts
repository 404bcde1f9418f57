import { z } from 'zod';
import { ProjectConfig } from './config-schema.js';
import { CONFIG_DESCRIPTIONS } from './config-descriptions.js';
import type { ConfigDescriptions } from './config-jsdoc.js';

/**
 * Where packer.json's `$schema` points: a copy `packer init` writes into `.packer/`. A URL would be unreachable
 * offline (and names no host the project owns); a path into node_modules exists only where the packer is an npm
 * dependency of the game, which a Godot or Unity project rarely is. `.packer/` is git-ignored, so a teammate's
 * editor finds the file once packer has run there (an unresolved `$schema` is only a missing hint).
 */
export const CONFIG_SCHEMA_REF = './.packer/packer.schema.json';

/** Where each named schema of config-schema.ts sits in the JSON Schema of packer.json. */
const LOCATIONS: Record<string, readonly string[]> = {
  ProjectConfig: [],
  KindRule: ['properties', 'kinds', 'additionalProperties'],
  PackRule: ['properties', 'packs', 'items'],
  ToolRule: ['properties', 'tools', 'additionalProperties'],
};

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; description?: string };

/** JSON Schema of packer.json (what a user may write: defaults optional), with the schema's JSDoc as descriptions. */
export function configJsonSchema(descriptions: ConfigDescriptions = CONFIG_DESCRIPTIONS): Record<string, unknown> {
  const schema = z.toJSONSchema(ProjectConfig, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  for (const [key, text] of Object.entries(descriptions)) {
    const [name, ...fields] = key.split('.');
    const base = LOCATIONS[name!];
    if (!base) continue;
    let node: JsonSchema | undefined = at(schema, base);
    for (const field of fields) node = node?.properties?.[field];
    if (node) node.description = text;
  }
  // What the zod refinements say, as far as JSON Schema can: editors flag these while typing.
  const sidecars = schema.properties?.sidecars as { items?: JsonSchema } | undefined;
  if (sidecars?.items) sidecars.items.pattern = '\\{path\\}';
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'packer.json',
    ...withoutKey(schema, '$schema'),
  };
}

/** docs/config.md: every field of packer.json with its type, default and meaning, then a config per engine. */
export function configMarkdown(
  examples: Record<string, unknown>,
  descriptions: ConfigDescriptions = CONFIG_DESCRIPTIONS,
): string {
  const schema = configJsonSchema(descriptions) as JsonSchema;
  const lines = [
    '# packer.json reference',
    '',
    'Generated from the zod schema in `packer-core/src/contract/config-schema.ts`; do not edit by hand: run `npm run docs`.',
    `The JSON Schema is [\`packer.schema.json\`](packer.schema.json); \`packer init\` copies it to \`${CONFIG_SCHEMA_REF.slice(2)}\` and`,
    `names it in \`"$schema"\` so editors complete and check packer.json. \`PACKER_NAME\`, \`PACKER_ASSET_ROOTS\`, \`PACKER_IGNORE\`,`,
    '`PACKER_BUILD_DIR` and `PACKER_IDLE_TIMEOUT_MS` override fields from the environment, and `PACKER_REMOTE_CACHE`,',
    '`PACKER_REMOTE_CACHE_MODE`, `PACKER_REMOTE_CACHE_HEADER` and `PACKER_REMOTE_CACHE_TOKEN` set `remoteCache` (see remote-cache.md).',
    '',
  ];
  const section = (title: string, node: JsonSchema | undefined, prefix: string): void => {
    if (!node?.properties) return;
    lines.push(`## ${title}`, '');
    if (node.description && node !== schema) lines.push(node.description, '');
    lines.push('| field | type | default | meaning |', '| --- | --- | --- | --- |');
    const required = new Set((node.required as string[] | undefined) ?? []);
    for (const [field, child] of Object.entries(node.properties)) {
      const fallback =
        'default' in child ? `\`${JSON.stringify(child.default)}\`` : required.has(field) ? 'required' : '';
      lines.push(
        `| \`${prefix}${field}\` | ${typeOf(child)} | ${fallback} | ${(child.description ?? '').replace(/\|/g, '\\|')} |`,
      );
    }
    lines.push('');
  };
  section('Top level', schema, '');
  section('A kind (`kinds.<name>`)', at(schema, LOCATIONS.KindRule!), '');
  section('A pack (`packs[]`)', at(schema, LOCATIONS.PackRule!), '');
  section('A tool (`tools.<name>`)', at(schema, LOCATIONS.ToolRule!), '');
  section('`daemon`', schema.properties?.daemon, 'daemon.');
  section('`daemon.websocket`', schema.properties?.daemon?.properties?.websocket, 'daemon.websocket.');
  section('`remoteCache`', schema.properties?.remoteCache, 'remoteCache.');
  lines.push(
    '## Examples',
    '',
    'What `packer init` writes for each engine it detects (`--engine` chooses; `--root` and `--kind` adjust).',
    '',
  );
  for (const [engine, config] of Object.entries(examples)) {
    lines.push(`### ${engine}`, '', '```json', JSON.stringify(config, null, 2), '```', '');
  }
  return lines.join('\n');
}

function at(schema: JsonSchema, location: readonly string[]): JsonSchema | undefined {
  let node: unknown = schema;
  for (const step of location) node = (node as Record<string, unknown> | undefined)?.[step];
  return node as JsonSchema | undefined;
}

function typeOf(node: JsonSchema): string {
  if (Array.isArray(node.enum)) return node.enum.map((value) => `\`${JSON.stringify(value)}\``).join(' \\| ');
  if ('const' in node) return `\`${JSON.stringify(node.const)}\``;
  if (Array.isArray(node.anyOf)) return (node.anyOf as JsonSchema[]).map(typeOf).join(' \\| ');
  if (node.type === 'array') {
    const item = typeOf((node.items as JsonSchema | undefined) ?? {});
    return item.includes(' ') ? `(${item})[]` : `${item}[]`;
  }
  if (node.type === 'object' && node.additionalProperties && typeof node.additionalProperties === 'object') {
    return `{ name → ${(node.additionalProperties as JsonSchema).properties ? 'object' : typeOf(node.additionalProperties as JsonSchema)} }`;
  }
  return typeof node.type === 'string' ? node.type : 'any';
}

function withoutKey(object: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = object;
  return rest;
}
