// Keeps the walArchiver workflow in step with the config, as `schedules apply` does for schedules:
// with pitr.enabled it runs, exactly once per source (a fixed workflow id, and a start that finds
// a running one instead of failing or starting a second); without, a running one is cancelled
// (its streaming attempt ends its pg_receivewal and returns). The replication slot stays on the
// source either way: dropping it is the operator's call (docs/operations.md says how).
import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import { BACKUP_KIND, BACKUP_SOURCE } from '../core/search-attributes.js';
import { describeArchiver } from '../activities/wal-archiver-run.js';
import { walArchiver } from '../workflows/index.js';

export interface ArchiverApply {
  workflowId: string;
  action: 'started' | 'already running' | 'cancelled';
  runId?: string;
}

export async function applyArchiver(client: Client, config: Config): Promise<ArchiverApply | undefined> {
  const current = await describeArchiver(client, config.source.name);
  if (!config.pitr.enabled) {
    if (!current.running) return undefined;
    await client.workflow.getHandle(current.workflowId).cancel();
    return { workflowId: current.workflowId, action: 'cancelled', runId: current.runId };
  }
  if (current.running) return { workflowId: current.workflowId, action: 'already running', runId: current.runId };
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
