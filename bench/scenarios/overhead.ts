// What one activity costs in a workflow, against calling the same function directly: a worker in
// this process runs a workflow of N no-op activities on its own task queue.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { BenchServices } from '../lib/environment.js';
import { timed } from '../lib/measure.js';
import type { Row } from '../lib/row.js';

export function overheadActivities() {
  return {
    async nothing(i: number): Promise<number> {
      return i;
    },
  };
}

export async function activityOverhead(s: BenchServices, steps: number): Promise<Row[]> {
  const activities = overheadActivities();
  const direct = await timed(async () => {
    for (let i = 0; i < steps; i += 1) await activities.nothing(i);
  });
  const connection = await NativeConnection.connect({ address: s.temporal.address });
  const worker = await Worker.create({
    connection,
    taskQueue: 'bench-overhead',
    workflowsPath: fileURLToPath(new URL('../workflows/activity-overhead.ts', import.meta.url)),
    activities,
  });
  const inWorkflow = await worker.runUntil(() =>
    timed(() => s.client.workflow.execute('activityOverhead', { taskQueue: 'bench-overhead', workflowId: `bench-overhead-${Date.now()}`, args: [steps] })),
  );
  await connection.close();
  const perStep = inWorkflow.ms / steps;
  return [
    {
      scenario: `overhead of one activity in a workflow (${steps} no-op steps in a row)`,
      ours: `${perStep.toFixed(1)} ms/step`,
      baseline: `${((direct.ms * 1000) / steps).toFixed(2)} µs direct call`,
      result: `${perStep.toFixed(1)} ms/step`,
      target: 'report',
      met: undefined,
      data: { steps, workflowMs: inWorkflow.ms, directMs: direct.ms, perStepMs: perStep },
    },
  ];
}
