#!/usr/bin/env node
import { testHooks } from '../testing/index.js';
import { runDaemonProcess } from './run-daemon.js';

/**
 * The daemon for end-to-end tests and benchmarks (`testDaemonEntryPoint()` in @packer/daemon/testing): the
 * production daemon plus `test.longOperation`, killed with SIGKILL at PACKER_TEST_CRASH_AT=<point> when set.
 */
void runDaemonProcess(testHooks({ crashAt: process.env.PACKER_TEST_CRASH_AT }));
