import { readFileSync } from 'node:fs';

/** True when a process with this pid exists and looks like a packer daemon (guards against pid reuse). */
export function isDaemonAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('packer-daemon') || cmdline.includes('daemon-main') || cmdline.includes('packer');
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}
