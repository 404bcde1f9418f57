import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../contract/diagnostics.js';
import { newAssetId } from '../ids/asset-id.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';

// A registry an older packer wrote may hold tags that new writes refuse (INVALID_TAG: a tab, an escape sequence).
// Opening it warns about each one, on its asset and escaped, and neither refuses nor rewrites the registry.

const REGISTRY = 'packer.registry.json';
const open: Workspace[] = [];
afterEach(async () => {
  for (const ws of open.splice(0)) await ws.close();
});

// Format 1, pretty-printed as older packers wrote it; one asset with clean and control-character tags.
function olderRegistry(id: string, tags: string[]): string {
  const entry = { id, path: 'assets/a.txt', kind: 'text', settings: {}, tags };
  return `${JSON.stringify({ version: 1, assets: [entry] }, null, 2)}\n`;
}

const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const storedTagWarnings = (ws: Workspace): Diagnostic[] =>
  ws.snapshot.diagnostics.filter((item) => item.code === 'INVALID_STORED_TAG');

describe('tags with control characters in an older registry', () => {
  it('open with one warning per such tag on its asset, shown escaped; the registry is not rewritten', async () => {
    const root = makeTempProject({ 'assets/a.txt': 'a' });
    const id = newAssetId();
    const text = olderRegistry(id, ['\u001b[31mred', 'a\tb', 'fine', 'x\u009by']);
    writeFileSync(path.join(root, REGISTRY), text);
    const ws = await Workspace.open(root);
    open.push(ws);

    expect(ws.snapshot.registryState).toBe('ok');
    expect(ws.snapshot.assets.map((asset) => asset.tags)).toEqual([['\u001b[31mred', 'a\tb', 'fine', 'x\u009by']]);
    const warnings = storedTagWarnings(ws);
    expect(warnings).toHaveLength(3);
    for (const warning of warnings) {
      expect(warning).toMatchObject({ severity: 'warning', assetId: id, path: 'assets/a.txt' });
      expect(warning.message + (warning.hint ?? '')).not.toMatch(RAW_CONTROL);
    }
    const messages = warnings.map((warning) => warning.message).join('\n');
    expect(messages).toContain('"a\\tb"');
    expect(messages).toContain('"\\u001b[31mred"');
    expect(messages).toContain('"x\\u009by"');
    expect(messages).toContain('U+0009');
    expect(messages).not.toContain('"fine"');
    // The hint's command names the tag so that a shell passes it as stored.
    expect(warnings.map((warning) => warning.hint)).toContain(
      `Remove it with \`packer set ${id} --untag $'a\\x09b'\`, and tag the asset with a name without control characters if it needs one.`,
    );
    expect(ws.snapshot.summary.warnings).toBeGreaterThanOrEqual(3);
    expect(ws.snapshot.summary.blockers).toBe(0);
    // Opening never rewrites the registry, not even to the current format.
    expect(readFileSync(path.join(root, REGISTRY), 'utf8')).toBe(text);
  });

  it('removing the tag as stored clears its warning and leaves the others', async () => {
    const root = makeTempProject({ 'assets/a.txt': 'a' });
    const id = newAssetId();
    writeFileSync(path.join(root, REGISTRY), olderRegistry(id, ['a\tb', 'c\u007f']));
    const ws = await Workspace.open(root);
    open.push(ws);
    expect(storedTagWarnings(ws)).toHaveLength(2);

    const result = await ws.apply({ type: 'update', target: id, removeTags: ['a\tb'] });
    expect(result.blockers ?? []).toEqual([]);
    expect(ws.snapshot.assets[0]!.tags).toEqual(['c\u007f']);
    const left = storedTagWarnings(ws);
    expect(left).toHaveLength(1);
    expect(left[0]!.message).toContain('"c\\u007f"');
  });
});
