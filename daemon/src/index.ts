// @packer/daemon: the per-project daemon. Clients import './client'.
export { Daemon, type DaemonOptions } from './daemon.js';
export { DAEMON_VERSION } from './version.js';
