// Starts a fullBackup run with a readable, unique-per-second workflow id; a second start in the
// same second is refused by Temporal rather than run twice.
import { WorkflowIdReusePolicy, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import { backupIdFor } from '../core/repository-layout.js';
import { BACKUP_KIND, BACKUP_SOURCE } from '../core/search-attributes.js';
import type { fullBackup } from '../workflows/full-backup.js';

export async function startFullBackup(client: Client, config: Config, reason?: string): Promise<WorkflowHandle<typeof fullBackup>> {
  return client.workflow.start<typeof fullBackup>('fullBackup', {
    taskQueue: config.temporal.taskQueue,
    workflowId: `full-backup-${config.source.name}-${backupIdFor(new Date())}`,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    args: [{ reason }],
    typedSearchAttributes: [
      { key: BACKUP_KIND, value: 'full' },
      { key: BACKUP_SOURCE, value: config.source.name },
    ],
    staticSummary: `Full backup of ${config.source.name}${reason ? `: ${reason}` : ''}`,
  });
}
