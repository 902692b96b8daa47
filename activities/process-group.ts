// Each external command runs in its own process group, so cancelling a step ends everything the
// command started (a `docker exec` wrapper's pg_dump and the pipes behind it), not only its first
// process: killing the direct child alone left pg_dump running, reparented to PID 1, still
// writing. A group still being ended when the worker process exits is killed on the way out.
const ending = new Set<number>();
process.on('exit', () => {
  for (const pgid of ending) killGroup(pgid, 'SIGKILL');
});

/** Whether a process with this id exists (signal 0 tests without signalling). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: every process of the group has already gone.
  }
}

/**
 * Ends the group led by `child` (spawned with `detached: true`) when `cancel` aborts: SIGTERM to
 * every process in it, SIGKILL to whatever is left after `forceAfterMs`.
 */
export function endGroupOnCancel(child: { pid?: number } & Pick<Promise<unknown>, 'finally'>, cancel: AbortSignal | undefined, forceAfterMs: number): void {
  const pgid = child.pid;
  if (!cancel || pgid === undefined) return;
  const end = () => {
    ending.add(pgid);
    killGroup(pgid, 'SIGTERM');
    setTimeout(() => {
      killGroup(pgid, 'SIGKILL');
      ending.delete(pgid);
    }, forceAfterMs).unref();
  };
  if (cancel.aborted) end();
  else cancel.addEventListener('abort', end, { once: true });
  // Once the command has finished on its own, a later cancellation must not signal a reused id.
  void child.finally(() => cancel.removeEventListener('abort', end));
}
