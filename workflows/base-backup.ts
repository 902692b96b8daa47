// baseBackup: one physical base backup of the source (activities/base-backup.ts), the starting
// point of point-in-time recovery. Scheduled like the dumps; taken by hand after a gap.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { BaseBackupRecord } from '../repository/base-backups.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../core/errors.js';

const acts = proxyActivities<Activities>({
  summary: 'pg_basebackup, pg_verifybackup, pack, encrypt and record',
  // A copy of the whole cluster: hours for a large one. It heartbeats while the tools run.
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3, initialInterval: '30 seconds', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
});

export async function baseBackup(): Promise<BaseBackupRecord> {
  return acts.walBaseBackup();
}
