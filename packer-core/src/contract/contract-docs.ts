import { z } from 'zod';
import { DiagnosticCodes } from './diagnostics.js';
import { ErrorCodes } from './errors.js';
import { EventPayloads, EventEnvelope } from './events.js';
import { Methods, Notifications, PROTOCOL_VERSION } from './methods.js';

/** Example params per method, shown in the docs (and parsed by the docs test, so they stay valid). */
export const METHOD_EXAMPLES: Partial<Record<keyof typeof Methods, unknown>> = {
  'daemon.hello': { client: 'studio', protocolVersion: PROTOCOL_VERSION, pid: 4242 },
  'snapshot.summary': { sync: true },
  'assets.list': { kind: 'image', pathPrefix: 'assets/sprites', limit: 100 },
  'assets.get': { ref: 'assets/sprites/hero.png' },
  'mutation.preview': { mutation: { type: 'move', from: 'assets/sprites/hero.png', to: 'assets/characters/hero.png' } },
  'mutation.apply': {
    mutation: { type: 'move', from: 'assets/sprites/hero.png', to: 'assets/characters/hero.png' },
    expectedRevision: 12,
    idempotencyKey: 'studio-7f3a',
  },
  'events.subscribe': { since: '3.120' },
  'operations.cancel': { operationId: 'op_01JQ0000000000000000000000' },
};

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

/** JSON Schema of the whole contract, generated from the zod schemas (checked in; a test keeps it in sync). */
export function contractJsonSchema(): Record<string, unknown> {
  const methods: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(Methods)) {
    methods[name] = {
      description: method.description,
      params: schemaOf(method.params, 'input'),
      result: schemaOf(method.result, 'output'),
    };
  }
  const notifications: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(Notifications)) notifications[name] = schemaOf(schema, 'output');
  const events: Record<string, unknown> = {};
  for (const [type, schema] of Object.entries(EventPayloads)) events[type] = schemaOf(schema, 'output');
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Packer daemon protocol',
    protocolVersion: PROTOCOL_VERSION,
    envelope: schemaOf(EventEnvelope, 'output'),
    methods,
    notifications,
    events,
    errorCodes: ErrorCodes,
  };
}

/** The protocol page for Studio developers: every method, event and error code, with examples. */
export function contractMarkdown(): string {
  const lines: string[] = [
    '# Packer daemon protocol',
    '',
    `Generated from the zod contract in \`packer-core/src/contract/\` (protocol version ${PROTOCOL_VERSION}); do not edit by hand:`,
    'run `npm run docs`. The full JSON Schema is in [`contract.schema.json`](contract.schema.json).',
    '',
    '## Transport',
    '',
    '- JSON-RPC 2.0, one JSON text per line (newline-delimited), over the Unix socket `.packer/daemon.sock`',
    '  (or a short path in the temp dir when that is too long; `.packer/daemon.json` names the one in use).',
    '- Optionally (`packer daemon start --ws`, or `daemon.websocket.enabled` in packer.json) the same protocol over a',
    '  loopback WebSocket, one JSON-RPC text per message: `ws://127.0.0.1:<port>/?token=<token>` with the port in',
    '  `.packer/ws.json` and the token in `.packer/ws-token` (owner-only); Origin and Host are checked.',
    '- Frames are capped at 8 MiB; batches at 1000 requests.',
    '- Call `daemon.hello` first; compare `protocolVersion` and restart the daemon on a mismatch.',
    '- Events arrive as `events.event` notifications after `events.subscribe`; keep the last `cursor` and pass it',
    '  as `since` after a reconnect to miss nothing.',
    '',
    '## Methods',
    '',
  ];
  for (const [name, method] of Object.entries(Methods)) {
    lines.push(`### \`${name}\``, '', method.description, '');
    const example = METHOD_EXAMPLES[name as keyof typeof Methods];
    lines.push('Params:', '', '```json', JSON.stringify(example ?? {}, null, 2), '```', '');
    lines.push(`Result: see \`methods["${name}"].result\` in the JSON Schema.`, '');
  }
  lines.push('## Notifications', '');
  for (const name of Object.keys(Notifications)) lines.push(`- \`${name}\``);
  lines.push(
    '',
    '## Events',
    '',
    'Envelope: `cursor` (`"<generation>.<seq>"`, gap-free), `type`, `time`, `operationId` and `sequence` on lifecycle events, `payload`.',
    '',
  );
  lines.push(
    'Every operation emits `queued`, `started`, `progress`*, then exactly one of `completed`, `failed`, `cancelled`. Only `progress` may be coalesced for a slow subscriber.',
    '',
    'An operation a daemon stop cut short gets its terminal event when the next daemon starts: a mutation past its commit point (recovery finished it) `completed`, with a `RecoveredApplyResult` (`recovered: true`, an `AFTER_COMMIT_FAILED` warning) as `result`; one rolled back, and a build, `failed` with `error.data.recovered`.',
    '',
  );
  lines.push('| type | payload fields |', '| --- | --- |');
  for (const [type, schema] of Object.entries(EventPayloads)) {
    const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape ?? {};
    lines.push(
      `| \`${type}\` | ${Object.keys(shape)
        .map((key) => `\`${key}\``)
        .join(', ')} |`,
    );
  }
  lines.push(
    '',
    '## Error codes',
    '',
    'Errors carry the JSON-RPC `code` below and the stable string in `error.data.code`.',
    '',
    '| code | number |',
    '| --- | --- |',
  );
  for (const [code, value] of Object.entries(ErrorCodes)) lines.push(`| \`${code}\` | ${value} |`);
  lines.push('', '## Diagnostic codes', '', '| code | severity |', '| --- | --- |');
  for (const [code, severity] of Object.entries(DiagnosticCodes)) lines.push(`| \`${code}\` | ${severity} |`);
  lines.push('');
  return lines.join('\n');
}
