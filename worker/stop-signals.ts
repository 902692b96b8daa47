// SIGINT and SIGTERM stop a worker process cleanly: the worker stops polling and cancels its
// running activities at once (shutdownGraceTime 0, the SDK default the tests rely on); each one
// ends its child processes and removes its partial files (activities/command.ts); run() then
// returns and the process exits 0. The SDK's own signal hook is off (worker/sdk-runtime.ts): with
// both, one Ctrl-C called shutdown() twice and the second threw IllegalStateError. A signal
// repeated while stopping is logged, not fatal, so a step is never cut off halfway through its
// clean-up (systemd's final SIGKILL still bounds the wait).
import type { Worker } from '@temporalio/worker';
import type { Logger } from 'pino';

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Stops `worker` on SIGINT or SIGTERM until the returned function is called. */
export function stopOnSignals(worker: Worker, logger: Logger): () => void {
  const stop = (signal: NodeJS.Signals) => {
    const state = worker.getState();
    if (state === 'RUNNING') {
      logger.info({ signal }, 'stopping the worker: running steps are cancelled and clean up');
      worker.shutdown();
    } else if (state === 'INITIALIZED') {
      // Not polling yet: nothing runs that would need cleaning up.
      logger.info({ signal }, 'stopped before the worker started');
      process.exit(0);
    } else {
      logger.info({ signal, state }, 'the worker is already stopping');
    }
  };
  for (const signal of STOP_SIGNALS) process.on(signal, stop);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, stop);
  };
}
