// No runtime import here: this module is loaded from inside the `node:fs` mock's factory.
/** The switch of an injected full disk: made with `vi.hoisted`, so the `node:fs` mock can read it. */
export interface DiskSwitch {
  full: boolean;
}

/**
 * `node:fs` with an injected full disk, for the cases a real tmpfs cannot pin down: while `disk.full`, every write
 * through a descriptor (event-log appends, atomic writes, audit appends, `.packer/revision`, the digest cache) fails
 * with ENOSPC; writes by path (the daemon log) go on. Used from a test file's `vi.mock('node:fs', …)` factory,
 * which imports this module itself (a factory runs before the file's imports).
 */
export function fsWithFullDisk(actual: typeof import('node:fs'), disk: DiskSwitch): typeof import('node:fs') {
  const enospc = () =>
    Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      errno: -28,
      syscall: 'write',
    });
  return {
    ...actual,
    appendFileSync: (target: number | string, data: string) => {
      if (disk.full && typeof target === 'number') throw enospc();
      actual.appendFileSync(target, data);
    },
    writeFileSync: (target: number | string, data: string | Uint8Array, options?: unknown) => {
      if (disk.full && typeof target === 'number') throw enospc();
      actual.writeFileSync(target, data, options as never);
    },
  } as typeof import('node:fs');
}
