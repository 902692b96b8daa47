// The outcome of the latest run of each kind, kept in the repository (runs/<kind>.json) so that
// retention and health checks can tell "the last backup failed" without asking Temporal, and
// keep working when the Temporal server is the thing that is down.
export type RunKind = 'full' | 'database' | 'images' | 'config' | 'partial' | 'retention' | 'health' | 'restore-test';

export interface RunRecord {
  kind: RunKind;
  workflowId: string;
  backupId?: string;
  outcome: 'succeeded' | 'failed' | 'unchanged';
  finishedAt: string;
  error?: { type?: string; message: string };
}

/**
 * The error recorded for a run cancelled on request (Web UI, CLI, API): the cancellation itself
 * carries no message, and the run still counts as failed, since it did not produce what it was for.
 */
export const CANCELLED_ERROR = { type: 'Cancelled', message: 'cancelled on request (Web UI, CLI or API) before it finished' } as const;

export const BACKUP_RUN_KINDS: readonly RunKind[] = ['full', 'database', 'images', 'config', 'partial'];

/** The most recent backup run (of any backup kind) failed. */
export function latestBackupRunFailed(records: RunRecord[]): RunRecord | undefined {
  const latest = records
    .filter((r) => BACKUP_RUN_KINDS.includes(r.kind))
    .sort((a, b) => b.finishedAt.localeCompare(a.finishedAt))[0];
  return latest?.outcome === 'failed' ? latest : undefined;
}
