// Keeps the walArchiver workflow in step with the config, as `schedules apply` does for schedules:
// with pitr.enabled it runs, exactly once per source (a fixed workflow id, and a start that finds
// a running one instead of failing or starting a second); without, a running one is cancelled
// (its streaming attempt ends its pg_receivewal and returns). The replication slot stays on the
// source either way: dropping it is the operator's call (docs/operations.md says how). One running
// on another task queue than the config's (temporal.taskQueue changed) would wait there for a
// worker forever: it is terminated, not cancelled (a cancellation too waits for a worker of its
// queue), and started on the config's; the new attempt ends the pg_receivewal the old one left.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import { BACKUP_KIND, BACKUP_SOURCE } from '../core/search-attributes.js';
import { describeArchiver } from '../activities/wal-archiver-run.js';
import { walArchiver } from '../workflows/index.js';

export interface ArchiverApply {
  workflowId: string;
  action: 'started' | 'already running' | 'cancelled' | 'moved';
  runId?: string;
}

export async function applyArchiver(client: Client, config: Config): Promise<ArchiverApply | undefined> {
  const current = await describeArchiver(client, config.source.name);
  if (!config.pitr.enabled) {
    if (!current.running) return undefined;
    await client.workflow.getHandle(current.workflowId).cancel();
    return { workflowId: current.workflowId, action: 'cancelled', runId: current.runId };
  }
  if (current.running && current.taskQueue === config.temporal.taskQueue) return { workflowId: current.workflowId, action: 'already running', runId: current.runId };
  if (current.running) {
    // That run only: another `schedules apply` may have moved it already, and its new run must stay.
    await client.workflow
      .getHandle(current.workflowId, current.runId)
      .terminate(`temporal.taskQueue is now ${config.temporal.taskQueue}: the archiver moves there (schedules apply)`)
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      });
    return { workflowId: current.workflowId, action: 'moved', runId: await startArchiver(client, config, current.workflowId) };
  }
  return { workflowId: current.workflowId, action: 'started', runId: await startArchiver(client, config, current.workflowId) };
}

async function startArchiver(client: Client, config: Config, workflowId: string): Promise<string> {
  const handle = await client.workflow.start(walArchiver, {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    // Another `schedules apply` that started it meanwhile wins: this start returns its run.
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: BACKUP_SOURCE, value: config.source.name }, { key: BACKUP_KIND, value: 'walArchiver' }],
    staticSummary: `continuous WAL archive of ${config.source.name} (pg_receivewal through a replication slot)`,
  });
  return handle.firstExecutionRunId;
}
