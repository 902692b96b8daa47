// The benchmark's probe of orchestration cost: `steps` activities in a row that do nothing, so
// the time per step is what Temporal adds (schedule, dispatch, complete, record) to each step.
import { proxyActivities } from '@temporalio/workflow';
import type { overheadActivities } from '../scenarios/overhead.js';

const { nothing } = proxyActivities<ReturnType<typeof overheadActivities>>({ startToCloseTimeout: '1 minute' });

export async function activityOverhead(steps: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < steps; i += 1) sum += await nothing(i);
  return sum;
}
