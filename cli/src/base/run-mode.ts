/**
 * True when a command should run the packer in-process instead of through the daemon. An explicit
 * `--daemon`/`--no-daemon` wins; then PACKER_DAEMON=0/1; then, as Nx does, CI means in-process (one-off
 * processes beat a daemon nobody will reuse).
 */
export function runsInProcess(daemonFlag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (daemonFlag !== undefined) return !daemonFlag;
  if (env.PACKER_DAEMON === '0') return true;
  if (env.PACKER_DAEMON === '1') return false;
  const ci = env.CI;
  return Boolean(ci) && ci !== 'false' && ci !== '0';
}
