// Heartbeats long work with a progress snapshot. Heartbeats are how a lost worker is noticed
// (heartbeat timeout) and how cancellation reaches a running activity, so they must keep
// flowing while a child process does the work.
import { Context } from '@temporalio/activity';

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (benchmarks, direct tests)
  }
}

/** Runs `work` while heartbeating `progress()` every few seconds. */
export async function withHeartbeat<T>(progress: () => unknown, work: () => Promise<T>): Promise<T> {
  const ctx = activityContext();
  if (!ctx) return work();
  const timeout = ctx.info.heartbeatTimeoutMs;
  const every = Math.max(200, Math.min(5_000, timeout ? timeout / 3 : 5_000));
  ctx.heartbeat(progress());
  const timer = setInterval(() => ctx.heartbeat(progress()), every);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** The activity's cancellation signal, for child processes to be killed on cancel. */
export function cancellationSignal(): AbortSignal | undefined {
  return activityContext()?.cancellationSignal;
}

/** Progress stored by the previous attempt's last heartbeat, to resume from. */
export function previousProgress<T>(): T | undefined {
  return activityContext()?.info.heartbeatDetails as T | undefined;
}

/** The workflow run this activity runs for, to name it in what the run leaves in the repository. */
export function currentRun(): { workflowId: string; runId: string } | undefined {
  const run = activityContext()?.info.workflowExecution;
  return run ? { workflowId: run.workflowId, runId: run.runId } : undefined;
}

/** The workflow this activity runs for, to name files it writes per run. */
export function currentWorkflowId(): string | undefined {
  return activityContext()?.info.workflowExecution?.workflowId;
}
