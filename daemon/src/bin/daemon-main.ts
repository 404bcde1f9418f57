import { runDaemonProcess } from './run-daemon.js';

// The production daemon: no test hooks, and no test variable in the environment is read. The input of the one-file
// bundle (daemon/rolldown.config.mjs), and what packer-daemon.js runs when that bundle is missing or stale.
void runDaemonProcess();
