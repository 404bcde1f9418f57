import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDaemonAlive } from '@packer/client';

export type LockResult =
  | {
      acquired: true;
      release(): void;
      /**
       * Whether the lock still names this process: false once its folder is gone (`rm -rf .packer`) or another
       * process holds it. A read that fails for another reason (EMFILE, EIO) counts as still held.
       */
      held(): boolean;
    }
  | { acquired: false; holderPid: number | undefined };

function readPid(lockDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(lockDir, 'pid'), 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One daemon per project. `mkdir` is atomic, so exactly one starter creates the lock folder. A lock whose
 * holder is dead is stale: it is renamed away (only one racer's rename can succeed) and the race re-run.
 */
export function acquireDaemonLock(lockDir: string, pid = process.pid): LockResult {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      mkdirSync(lockDir);
      try {
        writeFileSync(path.join(lockDir, 'pid'), String(pid));
      } catch (error) {
        // A full disk: leave no pid-less lock for the next starter to wait out.
        rmSync(lockDir, { recursive: true, force: true });
        throw error;
      }
      return {
        acquired: true,
        release: () => {
          if (readPid(lockDir) === pid) rmSync(lockDir, { recursive: true, force: true });
        },
        held: () => {
          try {
            return readFileSync(path.join(lockDir, 'pid'), 'utf8').trim() === String(pid);
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            return code !== 'ENOENT' && code !== 'ENOTDIR';
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readPid(lockDir);
    if (holder === undefined) {
      // The holder may be between mkdir and writing its pid; only a lock older than that window is stale.
      const age = lockAge(lockDir);
      if (age !== undefined && age < 2000) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        continue;
      }
    } else if (holder === pid || isDaemonAlive(holder)) {
      return { acquired: false, holderPid: holder };
    }
    try {
      const stale = `${lockDir}.stale-${pid}-${attempt}`;
      renameSync(lockDir, stale);
      rmSync(stale, { recursive: true, force: true });
    } catch {
      // another starter moved it first; race again
    }
  }
  return { acquired: false, holderPid: readPid(lockDir) };
}

function lockAge(lockDir: string): number | undefined {
  try {
    return Date.now() - statSync(lockDir).mtimeMs;
  } catch {
    return existsSync(lockDir) ? 0 : undefined;
  }
}
