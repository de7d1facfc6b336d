/**
 * Preloaded (`node -r watch-parent.js`) into every process `dcpower demo` starts, so that no child outlives
 * the demo whatever signal ends it: a SIGKILL gives the parent no chance to stop its children, so each child
 * watches its parent instead. When its parent process is gone (the child is re-parented), the child asks
 * itself to stop as Ctrl-C would (Node-RED closes its flows, the simulators their sockets) and exits for
 * good a few seconds later if that hangs.
 */
export const WATCH_PARENT_ENV = 'DCPOWER_WATCH_PARENT';
const POLL_MS = 500;
const HARD_EXIT_MS = 10_000;

export function watchParent(parentPid: number): void {
  const timer = setInterval(() => {
    if (process.ppid === parentPid) return;
    clearInterval(timer);
    setTimeout(() => process.exit(1), HARD_EXIT_MS).unref();
    process.kill(process.pid, 'SIGTERM');
  }, POLL_MS);
  timer.unref();
}

const parentPid = Number(process.env[WATCH_PARENT_ENV]);
// read once: a process this child starts in turn (an exec node, say) has another parent and must not inherit it
delete process.env[WATCH_PARENT_ENV];
if (Number.isInteger(parentPid) && parentPid > 0) watchParent(parentPid);
