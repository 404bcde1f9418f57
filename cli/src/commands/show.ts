import { Args } from '@oclif/core';
import type { MethodResult } from '@packer/core/contract';
import { PackerCommand } from '../base/packer-command.js';
import { formatBytes } from '../render/format.js';
import { renderDiagnostic } from '../render/render-diagnostic.js';
import { terminalText } from '../render/terminal-text.js';

export default class Show extends PackerCommand<typeof Show> {
  static override description = 'Show one asset by id or path, with its diagnostics.';
  static override examples = [
    '<%= config.bin %> show assets/sprites/hero.png',
    '<%= config.bin %> show a_01JQ… --json',
  ];
  static override args = { ref: Args.string({ description: 'Asset id or project-relative path.', required: true }) };

  async run(): Promise<MethodResult<'assets.get'>> {
    const client = await this.client();
    const answer = await client.call('assets.get', { ref: this.assetRef(this.args.ref), sync: true });
    if (!this.jsonEnabled()) {
      const { asset } = answer;
      const fields = [
        `${asset.path}`,
        `  id        ${asset.id}`,
        `  kind      ${asset.kind}`,
        `  status    ${asset.status}`,
        `  size      ${asset.observation ? formatBytes(asset.observation.size) : '-'}`,
        `  digest    ${asset.observation?.digest ?? '-'}`,
        `  tags      ${asset.tags.join(', ') || '-'}`,
        `  settings  ${Object.keys(asset.settings).length ? JSON.stringify(asset.settings) : '-'}`,
        `  revision  ${answer.revision}`,
      ].map(terminalText);
      this.log(
        [
          ...fields,
          ...(answer.diagnostics.length ? ['diagnostics:', ...answer.diagnostics.map(renderDiagnostic)] : []),
        ].join('\n'),
      );
    }
    return answer;
  }
}
