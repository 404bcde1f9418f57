import type { MethodResult } from '@packer/core/contract';
import { PackerCommand } from '../../base/packer-command.js';
import { formatBytes, plural } from '../../render/format.js';
import { terminalText } from '../../render/terminal-text.js';

export default class CacheStats extends PackerCommand<typeof CacheStats> {
  static override description =
    'Show the local output cache (.packer/cache/): entries, stored and on-disk bytes, and its LRU cap (PACKER_CACHE_MAX_BYTES).';
  static override examples = ['<%= config.bin %> cache stats', '<%= config.bin %> cache stats --json'];

  async run(): Promise<MethodResult<'cache.stats'>> {
    const client = await this.client();
    const stats = await client.call('cache.stats', {});
    if (!this.jsonEnabled()) this.log(renderCacheStats(stats));
    return stats;
  }
}

/** The cache in a few lines for a person. */
export function renderCacheStats(stats: MethodResult<'cache.stats'>): string {
  const lines = [
    `cache: ${terminalText(stats.dir)}`,
    `  ${plural(stats.entries, 'output')}, ${formatBytes(stats.liveBytes)} stored of a ${formatBytes(stats.maxBytes)} cap (least recently used go first)`,
    `  ${formatBytes(stats.diskBytes)} on disk in ${plural(stats.segments, 'segment')}`,
  ];
  if (stats.oldestUse && stats.newestUse) lines.push(`  used between ${stats.oldestUse} and ${stats.newestUse}`);
  return lines.join('\n');
}
