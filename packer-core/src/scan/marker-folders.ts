import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ProjectConfig } from '../contract/config-schema.js';

/**
 * packer.json `ignoreFoldersWith`: a folder holding one of these files (Godot's `.gdignore`) is left out of the
 * scan with everything under it, as the engine leaves it out of the project. A full walk learns it from the listing
 * it reads anyway; a rescan of a path deep inside looks at the folders above it, once per folder per rescan. Either
 * way the cost follows the folders, not the files.
 */
export class MarkerFolders {
  /** Folder → whether it holds a marker, for the rescan that made this object (never reused across rescans). */
  private readonly known = new Map<string, boolean>();

  constructor(
    private readonly projectRoot: string,
    private readonly markers: readonly string[],
  ) {}

  /** True when a folder's listing holds a marker: its contents are not scanned. */
  excludes(names: readonly string[]): boolean {
    return this.markers.some((marker) => names.includes(marker));
  }

  /** A marker that came or went changes its whole folder: the path to look at again instead of the marker file. */
  scopeOf(relative: string): string {
    const name = path.posix.basename(relative);
    if (!this.markers.includes(name)) return relative;
    const slash = relative.lastIndexOf('/');
    return slash === -1 ? '.' : relative.slice(0, slash);
  }

  /**
   * True when a folder above `relative` (up to and including the asset root `root`) holds a marker, so a rescan of
   * `relative` must observe nothing there. `relative` itself is left to the walk, which lists it.
   */
  insideExcluded(relative: string, root: string): boolean {
    let folder = relative;
    while (folder !== root && folder !== '.') {
      const slash = folder.lastIndexOf('/');
      folder = slash === -1 ? '.' : folder.slice(0, slash);
      if (this.holdsMarker(folder)) return true;
      if (folder === root) break;
    }
    return false;
  }

  private holdsMarker(folder: string): boolean {
    let holds = this.known.get(folder);
    if (holds === undefined) {
      const absolute = path.join(this.projectRoot, ...folder.split('/'));
      holds = this.markers.some((marker) => existsSync(path.join(absolute, marker)));
      this.known.set(folder, holds);
    }
    return holds;
  }
}

/** The marker rules of one config, or undefined when it names no marker (the scan then does nothing more). */
export function markerFolders(projectRoot: string, config: ProjectConfig): MarkerFolders | undefined {
  const markers = config.ignoreFoldersWith ?? [];
  return markers.length > 0 ? new MarkerFolders(projectRoot, markers) : undefined;
}
