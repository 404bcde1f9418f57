// The explicit command table (oclif "explicit" strategy): no directory scan at start-up.
import Add from './commands/add.js';
import Build from './commands/build.js';
import CachePrune from './commands/cache/prune.js';
import CacheStats from './commands/cache/stats.js';
import Check from './commands/check.js';
import DaemonLogs from './commands/daemon/logs.js';
import DaemonRestart from './commands/daemon/restart.js';
import DaemonStart from './commands/daemon/start.js';
import DaemonStatus from './commands/daemon/status.js';
import DaemonStop from './commands/daemon/stop.js';
import Events from './commands/events.js';
import GitInstall from './commands/git/install.js';
import History from './commands/history.js';
import Init from './commands/init.js';
import Ls from './commands/ls.js';
import MergeDriver from './commands/merge-driver.js';
import Mv from './commands/mv.js';
import PackLs from './commands/pack/ls.js';
import Reconcile from './commands/reconcile.js';
import Relink from './commands/relink.js';
import Rm from './commands/rm.js';
import Set from './commands/set.js';
import Show from './commands/show.js';
import Status from './commands/status.js';
import Studio from './commands/studio.js';
import Top from './commands/top.js';
import Verify from './commands/verify.js';

export const COMMANDS = {
  add: Add,
  build: Build,
  'cache:prune': CachePrune,
  'cache:stats': CacheStats,
  check: Check,
  'daemon:logs': DaemonLogs,
  'daemon:restart': DaemonRestart,
  'daemon:start': DaemonStart,
  'daemon:status': DaemonStatus,
  'daemon:stop': DaemonStop,
  events: Events,
  'git:install': GitInstall,
  history: History,
  init: Init,
  ls: Ls,
  'merge-driver': MergeDriver,
  mv: Mv,
  'pack:ls': PackLs,
  reconcile: Reconcile,
  relink: Relink,
  rm: Rm,
  set: Set,
  show: Show,
  status: Status,
  studio: Studio,
  top: Top,
  verify: Verify,
};
