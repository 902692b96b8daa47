// Runs a piece of workflow under the repository lock (activities/repository-lock.ts): released
// whatever happens, in a scope that cancellation cannot interrupt.
import { CancellationScope, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { rootFailure } from '../core/alerts.js';
import { BACKUP_OUTCOME } from '../core/search-attributes.js';
import { bookkeeping, LOCK_OPTIONS } from './options.js';

export async function withRepositoryLock<T>(purpose: string, work: () => Promise<T>): Promise<T> {
  const { workflowId, runId } = workflowInfo();
  try {
    await bookkeeping(LOCK_OPTIONS).acquireRepositoryLock({ workflowId, runId, purpose });
  } catch (err) {
    // Another run holds the lock: this run did nothing, which is neither success nor failure.
    if (rootFailure(err).type === 'RepositoryBusy') upsertSearchAttributes([{ key: BACKUP_OUTCOME, value: 'skipped' }]);
    throw err;
  }
  try {
    return await work();
  } finally {
    await CancellationScope.nonCancellable(() => bookkeeping(LOCK_OPTIONS).releaseRepositoryLock({ workflowId, runId }));
  }
}
