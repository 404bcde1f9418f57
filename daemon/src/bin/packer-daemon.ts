#!/usr/bin/env node
import { runDaemonProcess } from './run-daemon.js';

// The production daemon: no test hooks, and no test variable in the environment is read.
void runDaemonProcess();
