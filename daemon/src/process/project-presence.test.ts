import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkProjectPresence } from './project-presence.js';

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function project(): { parent: string; root: string } {
  const parent = mkdtempSync(path.join(tmpdir(), 'packer-presence-unit-'));
  temps.push(parent);
  const root = path.join(parent, 'game');
  mkdirSync(path.join(root, '.packer'), { recursive: true });
  mkdirSync(path.join(root, 'assets'));
  writeFileSync(path.join(root, 'packer.json'), '{}');
  writeFileSync(path.join(root, 'assets/hero.png'), 'png');
  return { parent, root };
}

describe('checkProjectPresence', () => {
  it('a project missing only packer.json (or anything but the folder) is still there', () => {
    const { root } = project();
    const first = statSync(root);
    expect(checkProjectPresence(root, first)).toBeUndefined();
    rmSync(path.join(root, 'packer.json'));
    expect(checkProjectPresence(root, first)).toBeUndefined();
    rmSync(path.join(root, 'assets'), { recursive: true });
    writeFileSync(path.join(root, 'notes.txt'), 'mine');
    expect(checkProjectPresence(root, first)).toBeUndefined();
    expect(existsSync(path.join(root, '.packer'))).toBe(true);
  });

  it('removed, replaced by another folder, or left with only .packer/ (finished off)', () => {
    const removed = project();
    const first = statSync(removed.root);
    rmSync(removed.root, { recursive: true });
    expect(checkProjectPresence(removed.root, first)).toEqual({ reason: 'removed' });

    const replaced = project();
    const before = statSync(replaced.root);
    renameSync(replaced.root, path.join(replaced.parent, 'old'));
    mkdirSync(replaced.root);
    expect(checkProjectPresence(replaced.root, before)).toEqual({ reason: 'replaced' });

    const emptied = project();
    const stat = statSync(emptied.root);
    rmSync(path.join(emptied.root, 'assets'), { recursive: true });
    rmSync(path.join(emptied.root, 'packer.json'));
    writeFileSync(path.join(emptied.root, '.packer/revision'), '1\n');
    expect(checkProjectPresence(emptied.root, stat)).toEqual({ reason: 'emptied' });
    expect(existsSync(emptied.root)).toBe(false);
  });
});
