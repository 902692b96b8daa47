// applyRetention: GFS retention of the repository (core/gfs-retention.ts has the rule). Runs
// after every successful backup and on its own schedule. A dry run reports what would go and
// why each survivor stays, and deletes nothing. Backups it ignores (artifacts not as recorded,
// dated in the future) are reported as warnings.
import { log, patched, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { withRepositoryLock } from './repository-lock.js';
import { withLockAfterShortRuns } from './lock-wait.js';
import type { Activities } from '../activities/index.js';
import { selectExpiredIncrements, selectRetention, type RetentionDecision, type RetentionPolicy } from '../core/gfs-retention.js';
import type { RetentionDeletion, RetentionInventory } from '../activities/retention.js';
import { BACKUP_KIND } from '../core/search-attributes.js';
import { bookkeeping, RETENTION_DELETE_OPTIONS, RETENTION_LIST_OPTIONS, RETENTION_POLICY_OPTIONS } from './options.js';
import { recordFailure, recordSuccess, recordSummary } from './run-outcome.js';

export interface RetentionInput {
  dryRun?: boolean;
}

export interface RetentionReport extends RetentionDecision {
  dryRun: boolean;
  expiredIncrements: string[];
  deletedFiles: string[];
  /** Backups the rule would remove that a running recovery reads: kept, and left out of `remove`. */
  keptInUse: RetentionDeletion['keptInUse'];
  invalidManifests: string[];
}

const { deleteBackups } = proxyActivities<Activities>(RETENTION_DELETE_OPTIONS);

/** What retention decides now: the GFS verdict on each backup, and the image increments past their days. */
export function retentionDecision(policy: RetentionPolicy, inventory: RetentionInventory, now: Date): { decision: RetentionDecision; expiredIncrements: string[] } {
  const decision = selectRetention(
    inventory.candidates.map((c) => ({ ...c, time: new Date(c.time) })),
    policy,
    { now, latestRunFailed: Boolean(inventory.latestRunFailed) },
  );
  const expiredIncrements = decision.blocked ? [] : selectExpiredIncrements(inventory.incrementDays, now, policy.imageIncrementDays);
  return { decision, expiredIncrements };
}

export async function applyRetention(input: RetentionInput = {}): Promise<RetentionReport> {
  upsertSearchAttributes([{ key: BACKUP_KIND, value: 'retention' }]);
  // After a backup, the parent already holds the repository lock; a dry run deletes nothing.
  const needsLock = !workflowInfo().parent && !input.dryRun && patched('repository-lock');
  if (!needsLock) return retention(input);
  // The daily run would otherwise be refused whenever an image increment (every ten minutes with
  // pitr.enabled) holds the lock; runs recorded before waiting existed were refused at once.
  return patched('retention-waits-for-image-run') ? withLockAfterShortRuns('retention', () => retention(input)) : withRepositoryLock('retention', () => retention(input));
}

async function retention(input: RetentionInput): Promise<RetentionReport> {
  const dryRun = input.dryRun ?? false;
  const policy = await bookkeeping(RETENTION_POLICY_OPTIONS).retentionPolicy();
  try {
    const inventory = await bookkeeping(RETENTION_LIST_OPTIONS).listRetentionCandidates();
    const { decision, expiredIncrements } = retentionDecision(policy.policy, inventory, new Date());
    if (decision.ignored.length) log.warn('retention ignored backups it cannot trust; they are neither counted nor deleted', { ignored: decision.ignored });
    let deletion: Pick<RetentionDeletion, 'deletedFiles' | 'keptInUse'> = { deletedFiles: [], keptInUse: [] };
    if (!dryRun && (decision.remove.length || expiredIncrements.length)) {
      deletion = await deleteBackups({ remove: decision.remove, increments: expiredIncrements });
    }
    // What a running recovery reads stays (activities/retention.ts): not removed, whatever the rule said.
    const keptInUse = deletion.keptInUse ?? []; // absent from results recorded before leases
    const removed = decision.remove.filter((id) => !keptInUse.some((k) => k.backupId === id));
    recordSummary(`retention${dryRun ? ' (dry run) would remove' : ' removed'} ${removed.length} backup(s) and ${expiredIncrements.length} image increment(s)${keptInUse.length ? `; kept ${keptInUse.length} a running recovery reads` : ''}${decision.blocked ? `; blocked: ${decision.blocked}` : ''}${decision.ignored.length ? `; ignored ${decision.ignored.length} backup(s) it cannot trust` : ''}`);
    if (!dryRun) await recordSuccess('retention', 'succeeded');
    const keep = [...decision.keep, ...keptInUse.map((k) => ({ backupId: k.backupId, reasons: [`read by ${k.by}, which is still running`] }))];
    return { ...decision, keep, remove: removed, dryRun, expiredIncrements, deletedFiles: deletion.deletedFiles, keptInUse, invalidManifests: inventory.invalidManifests };
  } catch (err) {
    await recordFailure('retention', policy.source, err);
    throw err;
  }
}
