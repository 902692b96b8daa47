// Whether a source's walArchiver workflow runs, asked of Temporal under its fixed id
// (core/wal-archiver-id.ts): the health check asks it with the worker's client, `schedules
// apply|list` and `pitr status` with the CLI's.
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { walArchiverWorkflowId } from '../core/wal-archiver-id.js';

export interface ArchiverRun {
  workflowId: string;
  running: boolean;
  /** The newest run's, when there is one: continue-as-new starts a new run under the same id. */
  runId?: string;
  status?: string;
  startedAt?: string;
  /** The task queue the running one is on: a worker of another never picks it up. */
  taskQueue?: string;
}

export async function describeArchiver(client: Client, sourceName: string): Promise<ArchiverRun> {
  const workflowId = walArchiverWorkflowId(sourceName);
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    return { workflowId, running: d.status.name === 'RUNNING', runId: d.runId, status: d.status.name, startedAt: d.startTime.toISOString(), taskQueue: d.taskQueue };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { workflowId, running: false };
    throw err;
  }
}
