#!/usr/bin/env node
import { testHooks } from '../testing/index.js';
import { runDaemonProcess } from './run-daemon.js';

/**
 * The daemon for end-to-end tests and benchmarks (`testDaemonEntryPoint()` in @packer/daemon/testing): the
 * production daemon plus `test.longOperation`, killed with SIGKILL at PACKER_TEST_CRASH_AT=<point> when set; with
 * PACKER_TEST_HOLD_OPEN=1 live but not opening its project until SIGUSR2, and with PACKER_TEST_FAIL_OPEN=1 failing
 * its open; PACKER_TEST_STOP_WHILE_OPENING_MS bounds how long a stop waits for the open.
 */
void runDaemonProcess(
  testHooks({
    crashAt: process.env.PACKER_TEST_CRASH_AT,
    holdOpen: process.env.PACKER_TEST_HOLD_OPEN === '1',
    failOpen: process.env.PACKER_TEST_FAIL_OPEN === '1',
    stopWhileOpeningMs: process.env.PACKER_TEST_STOP_WHILE_OPENING_MS
      ? Number(process.env.PACKER_TEST_STOP_WHILE_OPENING_MS)
      : undefined,
  }),
);
