// Starts a fullBackup run with a readable, unique-per-second workflow id; a second start in the
// same second is refused by Temporal rather than run twice, and reported as RepositoryBusy (it did
// nothing, as when the repository lock refuses a run).
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client, type WorkflowHandle } from '@temporalio/client';
import { fail } from '../activities/failure.js';
import type { Config } from '../config/schema.js';
import { backupIdFor } from '../repository/layout.js';
import { BACKUP_KIND, BACKUP_SOURCE } from '../core/search-attributes.js';
import { fullBackup } from '../workflows/full-backup.js';

export async function startFullBackup(client: Client, config: Config, reason?: string): Promise<WorkflowHandle<typeof fullBackup>> {
  const workflowId = `full-backup-${config.source.name}-${backupIdFor(new Date())}`;
  try {
    return await startWithId(client, config, workflowId, reason);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    throw fail('RepositoryBusy', `a backup of ${config.source.name} was already started in this second (${workflowId}); nothing was started, try again in a second`);
  }
}

function startWithId(client: Client, config: Config, workflowId: string, reason: string | undefined): Promise<WorkflowHandle<typeof fullBackup>> {
  return client.workflow.start(fullBackup, {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    args: [{ reason }],
    typedSearchAttributes: [
      { key: BACKUP_KIND, value: 'full' },
      { key: BACKUP_SOURCE, value: config.source.name },
    ],
    staticSummary: `Full backup of ${config.source.name}${reason ? `: ${reason}` : ''}`,
  });
}
