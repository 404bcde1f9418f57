// @packer/daemon: the per-project daemon. Clients import @packer/client.
import type { InProcessDaemonClass } from '@packer/client';
import { Daemon } from './daemon.js';

export { Daemon, type DaemonOptions } from './daemon.js';
export { DAEMON_VERSION } from './version.js';

// @packer/client runs this class in its own process (`--no-daemon`) without a build-time dependency on this
// package: this line keeps the shape it expects and the class in step.
Daemon satisfies InProcessDaemonClass;
