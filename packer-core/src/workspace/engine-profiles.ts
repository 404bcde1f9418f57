import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { KindRule } from '../contract/config-schema.js';

/** Engines `packer init` knows how to adopt. */
export const ENGINES = ['godot', 'unity', 'generic'] as const;
export type Engine = (typeof ENGINES)[number];

/** What `packer init` writes for one engine (before flags override roots or kinds). */
export interface EngineProfile {
  engine: Engine;
  /** Why this engine was chosen: the marker files found, or "--engine". */
  detectedBy: string;
  assetRoots: string[];
  /** Folders the engine generates (ignored), and junk every project has. */
  ignore: string[];
  kinds: Record<string, { extensions: string[]; processor: KindRule['processor'] }>;
  sidecars?: string[];
  /** File names whose folder the engine excludes from the project (packer.json `ignoreFoldersWith`). */
  ignoreFoldersWith?: string[];
  buildDir: string;
}

const JUNK = ['**/.DS_Store', '**/Thumbs.db', '**/*.tmp', '**/*~', '**/.gitattributes'];

/** Kinds every game project has, processed by the built-ins where one fits and copied otherwise. */
const COMMON_KINDS: EngineProfile['kinds'] = {
  image: { extensions: ['.png', '.jpg', '.jpeg'], processor: 'image' },
  texture: {
    extensions: ['.webp', '.bmp', '.tga', '.exr', '.hdr', '.psd', '.ktx', '.ktx2', '.dds'],
    processor: 'copy',
  },
  vector: { extensions: ['.svg'], processor: 'copy' },
  audio: { extensions: ['.wav', '.ogg', '.mp3', '.flac', '.aiff', '.aif'], processor: 'copy' },
  model: { extensions: ['.glb', '.gltf', '.fbx', '.obj', '.blend', '.dae'], processor: 'copy' },
  font: { extensions: ['.ttf', '.otf', '.woff', '.woff2', '.fnt'], processor: 'copy' },
  video: { extensions: ['.ogv', '.webm', '.mp4'], processor: 'copy' },
  data: { extensions: ['.json'], processor: 'json' },
  text: { extensions: ['.txt', '.md', '.csv'], processor: 'text' },
};

const GODOT_KINDS: EngineProfile['kinds'] = {
  ...COMMON_KINDS,
  scene: { extensions: ['.tscn', '.scn'], processor: 'copy' },
  resource: { extensions: ['.tres', '.res'], processor: 'copy' },
  script: { extensions: ['.gd', '.cs', '.gdshader', '.shader', '.gdshaderinc'], processor: 'copy' },
  config: { extensions: ['.godot', '.cfg'], processor: 'copy' },
};

const UNITY_KINDS: EngineProfile['kinds'] = {
  ...COMMON_KINDS,
  scene: { extensions: ['.unity', '.prefab'], processor: 'copy' },
  resource: {
    extensions: [
      '.asset',
      '.mat',
      '.anim',
      '.controller',
      '.overridecontroller',
      '.physicmaterial',
      '.mask',
      '.mixer',
      '.spriteatlas',
      '.rendertexture',
      '.cubemap',
      '.playable',
      '.lighting',
      '.terrainlayer',
      '.inputactions',
      '.shadergraph',
      '.shadervariants',
      '.fontsettings',
      '.guiskin',
    ],
    processor: 'copy',
  },
  script: {
    extensions: ['.cs', '.shader', '.hlsl', '.cginc', '.compute', '.asmdef', '.uss', '.uxml'],
    processor: 'copy',
  },
};

/**
 * The engine a folder holds, from its marker files: Godot has `project.godot`, Unity has `Assets/` and
 * `ProjectSettings/`; anything else is generic.
 */
export function detectEngine(root: string): { engine: Engine; detectedBy: string } {
  if (existsSync(path.join(root, 'project.godot'))) return { engine: 'godot', detectedBy: 'project.godot' };
  if (isFolder(path.join(root, 'Assets')) && isFolder(path.join(root, 'ProjectSettings')))
    return { engine: 'unity', detectedBy: 'Assets/ and ProjectSettings/' };
  return { engine: 'generic', detectedBy: 'no engine marker (project.godot, or Assets/ with ProjectSettings/)' };
}

/** The profile `packer init` starts from for an engine in this folder. */
export function engineProfile(root: string, engine: Engine, detectedBy: string): EngineProfile {
  switch (engine) {
    case 'godot':
      // Godot keeps assets beside project.godot; .godot/ (and Godot 3's .import/) are its caches. A folder holding
      // a .gdignore is not part of the Godot project (raw sources, docs): neither it nor what is under it is an
      // asset, nor the marker itself. project.godot, override.cfg and export_presets.cfg are the project's settings,
      // not resources the game loads.
      return {
        engine,
        detectedBy,
        assetRoots: ['.'],
        kinds: GODOT_KINDS,
        buildDir: 'build',
        ignore: [
          '.godot/**',
          '.import/**',
          '**/.gdignore',
          'project.godot',
          'override.cfg',
          'export_presets.cfg',
          ...JUNK,
        ],
        sidecars: ['{path}.import', '{path}.uid'],
        ignoreFoldersWith: ['.gdignore'],
      };
    case 'unity':
      // Every Unity asset lives under Assets/; the rest is generated (Library, Temp, Logs, obj) or player builds
      // (Build, Builds). The packs go to PackerBuild/, since Unity's own Build/ folder (and build/ on a
      // case-insensitive disk) holds player builds.
      return {
        engine,
        detectedBy,
        assetRoots: ['Assets'],
        kinds: UNITY_KINDS,
        buildDir: 'PackerBuild',
        ignore: [
          'Library/**',
          'Temp/**',
          'Logs/**',
          'obj/**',
          'Build/**',
          'Builds/**',
          'UserSettings/**',
          'MemoryCaptures/**',
          ...JUNK,
        ],
        sidecars: ['{path}.meta'],
      };
    case 'generic':
      // A folder that already holds files is adopted whole; an empty one (or one with assets/) gets assets/.
      return {
        engine,
        detectedBy,
        assetRoots: [holdsFiles(root) && !isFolder(path.join(root, 'assets')) ? '.' : 'assets'],
        kinds: COMMON_KINDS,
        buildDir: 'build',
        ignore: ['**/node_modules/**', ...JUNK],
      };
  }
}

function isFolder(absolute: string): boolean {
  try {
    return statSync(absolute).isDirectory();
  } catch {
    return false;
  }
}

/** True when the folder holds something besides dotfiles (.git, .gitignore…). */
function holdsFiles(root: string): boolean {
  try {
    return readdirSync(root).some((name) => !name.startsWith('.'));
  } catch {
    return false;
  }
}
