// Runs a piece of workflow under the repository lock (activities/repository-lock.ts): released
// whatever happens, in a scope that cancellation cannot interrupt.
import { CancellationScope, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { BACKUP_OUTCOME } from '../core/search-attributes.js';
import { JOURNAL_OPTIONS } from './options.js';

const { acquireRepositoryLock, releaseRepositoryLock } = proxyActivities<Activities>({ ...JOURNAL_OPTIONS, summary: 'repository lock' });

/** Thrown when another run holds the lock: this run did nothing, which is neither success nor failure. */
export function isRepositoryBusy(err: unknown): boolean {
  let cur = err as { cause?: unknown; type?: string } | undefined;
  while (cur) {
    if (cur.type === 'RepositoryBusy') return true;
    cur = cur.cause as typeof cur;
  }
  return false;
}

export async function withRepositoryLock<T>(purpose: string, work: () => Promise<T>): Promise<T> {
  const { workflowId, runId } = workflowInfo();
  try {
    await acquireRepositoryLock({ workflowId, runId, purpose });
  } catch (err) {
    if (isRepositoryBusy(err)) upsertSearchAttributes([{ key: BACKUP_OUTCOME, value: 'skipped' }]);
    throw err;
  }
  try {
    return await work();
  } finally {
    await CancellationScope.nonCancellable(() => releaseRepositoryLock({ workflowId, runId }));
  }
}
