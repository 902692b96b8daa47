// pointInTimeRecovery: the source's database as it was at a moment (or as late as the archive
// reaches), recovered into a new data directory from a base backup and the WAL archive
// (activities/wal-recovery.ts). The result states the point reached and the RPO.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { PitrInput, PitrResult } from '../activities/wal-recovery.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../core/errors.js';

const acts = proxyActivities<Activities>({
  summary: 'restore the base backup, replay the archived WAL to the target, promote',
  // Unpacking and replaying a day of WAL: hours for a busy database. It heartbeats meanwhile.
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '1 minute',
  // A retry would find its own half-restored directory and refuse it: a second try is the operator's.
  retry: { maximumAttempts: 1, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
});

export async function pointInTimeRecovery(input: PitrInput): Promise<PitrResult> {
  return acts.walRecover(input);
}
