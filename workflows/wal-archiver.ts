// walArchiver: the continuous WAL archive as one long-running workflow. It checks the source's
// prerequisites (each refusal says what to change, and ends the workflow: no retry fixes a
// setting), then keeps a streaming attempt alive forever: an attempt ends after its time and the
// next begins; one that fails (source away, network cut, worker lost: noticed by its heartbeat)
// is retried with backoff, never given up. It continues as new every so often, so its history
// stays bounded. The `archiverStatus` query answers with the last attempt's outcome. WAL lost on
// the way (the slot dropped, or the source recycled what the archive needed) is a gap no recovery
// can cross: it is alerted and answered with a new base backup, from which recovery works again.
import { ParentClosePolicy, continueAsNew, defineQuery, proxyActivities, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { StreamResult } from '../activities/wal-archiver.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../core/errors.js';
import { ALERT_OPTIONS } from './options.js';
import type { baseBackup } from './base-backup.js';

export interface ArchiverStatus {
  attempts: number;
  last?: StreamResult;
}

export const archiverStatusQuery = defineQuery<ArchiverStatus>('archiverStatus');

/** Attempts per run before continuing as new (each attempt adds a handful of events). */
const ATTEMPTS_PER_RUN = 200;

const prerequisites = proxyActivities<Activities>({
  summary: 'check the source allows streaming its WAL; create the replication slot',
  startToCloseTimeout: '2 minutes',
  // A source that is down now is retried; a setting to change is not.
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
});

const { sendAlert } = proxyActivities<Activities>(ALERT_OPTIONS);

/** Alerts the gap and starts a base backup that outlives this run (it takes longer than an attempt). */
async function answerGap(settings: { source: string; slot: string }, last: StreamResult): Promise<void> {
  const { workflowId } = workflowInfo();
  const cause = last.walLost ? 'the source no longer had the WAL the archive needed next' : `the replication slot ${settings.slot} was gone and was created again`;
  await sendAlert({
    event: 'health_critical',
    severity: 'critical',
    source: settings.source,
    summary: `WAL archive gap: ${cause}; no recovery reaches past it until the new base backup, started now, is done`,
    workflowId,
    details: last.gaps.map((g) => `${g.missing} segment(s) missing after ${g.after ?? 'the first base backup'}`),
    at: new Date().toISOString(),
  });
  await startChild<typeof baseBackup>('baseBackup', { workflowId: `${workflowId}-base-after-gap-${Date.now()}`, parentClosePolicy: ParentClosePolicy.ABANDON });
}

export async function walArchiver(): Promise<void> {
  const settings = await prerequisites.walCheckPrerequisites();
  const stream = proxyActivities<Activities>({
    summary: `stream WAL through slot ${settings.slot} into the archive`,
    startToCloseTimeout: settings.streamForMs + 5 * 60_000,
    heartbeatTimeout: settings.heartbeatMs,
    // No maximum of attempts: the archive must come back by itself whenever the source does.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: settings.maxRetryIntervalMs, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
  });
  const status: ArchiverStatus = { attempts: 0 };
  setHandler(archiverStatusQuery, () => status);
  while (status.attempts < ATTEMPTS_PER_RUN && !workflowInfo().continueAsNewSuggested) {
    status.last = await stream.walStream({ streamForMs: settings.streamForMs });
    status.attempts += 1;
    if (status.last.slotRecreated || status.last.walLost) await answerGap(settings, status.last);
  }
  await continueAsNew<typeof walArchiver>();
}
