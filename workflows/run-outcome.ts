// The end of every run, shared by all workflows: record the outcome in the repository's run
// journal and, on failure, alert. Runs in a non-cancellable scope, so a cancelled run is still
// recorded and still alerts. Every run also leaves a one-line summary for the Web UI.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { CancellationScope, isCancellation, patched, proxyActivities, setCurrentDetails, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { rootFailure, type Alert } from '../core/alerts.js';
import { CANCELLED_ERROR, type RunKind, type RunRecord } from '../core/run-journal.js';
import { BACKUP_OUTCOME } from '../core/search-attributes.js';
import { ALERT_OPTIONS, bookkeeping, JOURNAL_OPTIONS } from './options.js';

const { sendAlert } = proxyActivities<Activities>(ALERT_OPTIONS);

/**
 * The run's summary where the Web UI shows it (memo `summary`, current details), with the audit
 * search attributes known only at the end. Runs recorded before it existed replay without it.
 */
export function recordSummary(summary: string, attributes: SearchAttributeUpdatePair[] = []): void {
  setCurrentDetails(summary);
  if (!patched('audit-summary')) return;
  if (attributes.length) upsertSearchAttributes(attributes);
  upsertMemo({ summary });
}

export async function recordSuccess(kind: RunKind, outcome: 'succeeded' | 'unchanged', backupId?: string): Promise<void> {
  upsertSearchAttributes([{ key: BACKUP_OUTCOME, value: outcome }]);
  await CancellationScope.nonCancellable(() =>
    bookkeeping(JOURNAL_OPTIONS).recordRun({ kind, workflowId: workflowInfo().workflowId, outcome, finishedAt: new Date().toISOString(), ...(backupId ? { backupId } : {}) }),
  );
}

const EVENTS: Partial<Record<RunKind, Alert['event']>> = { retention: 'retention_failed', 'restore-test': 'restore_test_failed' };

/** Records and alerts a failure; never throws itself, so the original failure stays the result. */
export async function recordFailure(kind: RunKind, source: string, err: unknown, backupId?: string, summary?: string, details?: string[]): Promise<void> {
  upsertSearchAttributes([{ key: BACKUP_OUTCOME, value: 'failed' }]);
  const error = isCancellation(err) ? { ...CANCELLED_ERROR } : rootFailure(err);
  const record: RunRecord = {
    kind,
    workflowId: workflowInfo().workflowId,
    outcome: 'failed',
    finishedAt: new Date().toISOString(),
    error,
    ...(backupId ? { backupId } : {}),
  };
  const alert: Alert = {
    event: EVENTS[kind] ?? 'backup_failed',
    severity: 'critical',
    source,
    summary: summary ?? `${kind} run failed${backupId ? ` (backup ${backupId})` : ''}; earlier backups are untouched`,
    ...(details ? { details } : {}),
    workflowId: record.workflowId,
    error,
    at: record.finishedAt,
    ...(backupId ? { backupId } : {}),
  };
  recordSummary(`${alert.summary}: ${error.message}`);
  await CancellationScope.nonCancellable(async () => {
    await Promise.allSettled([bookkeeping(JOURNAL_OPTIONS).recordRun(record), sendAlert(alert)]);
  });
}
