// The `progress` query of backup and restore-test runs (the recovery runbook has its own): which
// step runs, since when, against which budget, and the steps done so far. A query handler adds
// no history events, so runs recorded before it existed replay unchanged.
import { defineQuery, setHandler } from '@temporalio/workflow';
import type { StepTiming } from '../core/backup-result.js';
import type { RunPosition } from '../core/progress.js';

export const runProgressQuery = defineQuery<RunPosition>('progress');

export interface RunProgressTracker {
  /** Runs one named step, recording its position while it runs and its time once done. */
  step<T>(title: string, run: () => Promise<T>): Promise<T>;
  /** The running step's budget (its activity timeout), once known. */
  budget(ms: number): void;
  /** Number of the running step (0 before the first), and how many there are. */
  readonly stepNo: number;
  readonly steps: number;
  /** Finished steps in order (the run's timings). */
  readonly done: StepTiming[];
}

export function trackRunProgress(firstTitle: string, steps: number): RunProgressTracker {
  const position: RunPosition = { step: firstTitle, stepNo: 0, steps, stepStartedAt: new Date().toISOString(), done: [] };
  setHandler(runProgressQuery, () => ({ ...position, done: [...position.done] }));
  return {
    async step(title, run) {
      const t0 = Date.now();
      Object.assign(position, { step: title, stepNo: position.stepNo + 1, stepStartedAt: new Date(t0).toISOString() });
      delete position.budgetMs;
      const value = await run();
      position.done.push({ step: title, ms: Date.now() - t0 });
      // Between steps (off-site copies, cleanup): no step clock to show.
      Object.assign(position, { step: `finishing after ${title}` });
      delete position.stepStartedAt;
      delete position.budgetMs;
      return value;
    },
    budget(ms) {
      position.budgetMs = ms;
    },
    get stepNo() {
      return position.stepNo;
    },
    steps,
    get done() {
      return position.done;
    },
  };
}
