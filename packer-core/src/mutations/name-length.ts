import { toAbsolute } from '../paths/project-path.js';

/** Bytes one name (a path segment) may hold on the filesystems the packer runs on (ext4, APFS, NTFS via WSL). */
export const NAME_MAX = 255;
/** Bytes a whole absolute path may hold, its terminating NUL included (Linux 4096, macOS 1024). */
export const PATH_MAX = process.platform === 'darwin' ? 1024 : 4096;

/** The hint for a name too long for the disk: said up front, so the apply never fails half way with ENAMETOOLONG. */
export const NAME_LENGTH_HINT = `Choose a shorter name: each folder or file name holds at most ${NAME_MAX} bytes (UTF-8; an accented letter takes 2, most CJK characters 3), and a whole path at most ${PATH_MAX - 1}.`;

/**
 * Why `relative` (a project path) cannot exist on disk because of its length, or undefined when it can: a name over
 * NAME_MAX bytes, or the absolute path over PATH_MAX. Costs one pass over the path's bytes.
 */
export function nameLengthProblem(projectRoot: string, relative: string): string | undefined {
  for (const segment of relative.split('/')) {
    const bytes = Buffer.byteLength(segment, 'utf8');
    if (bytes > NAME_MAX) return `the name ${shortened(segment)} is ${bytes} bytes long (the limit is ${NAME_MAX})`;
  }
  const total = Buffer.byteLength(toAbsolute(projectRoot, relative), 'utf8');
  if (total >= PATH_MAX) return `the full path is ${total} bytes long (the limit is ${PATH_MAX - 1})`;
  return undefined;
}

/** The first and last characters of a long name, enough to recognise it in a message. */
function shortened(name: string): string {
  const chars = [...name];
  return chars.length <= 40 ? name : `${chars.slice(0, 24).join('')}…${chars.slice(-12).join('')}`;
}
