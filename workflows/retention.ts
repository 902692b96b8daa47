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

type InUse = RetentionDeletion['keptInUse'];

/**
 * What retention decides now: the GFS verdict on each backup, less what a running recovery reads,
 * and the image increments past their days.
 */
export function retentionDecision(policy: RetentionPolicy, inventory: RetentionInventory, now: Date): { decision: RetentionDecision; expiredIncrements: string[]; keptInUse: InUse } {
  const verdict = selectRetention(
    inventory.candidates.map((c) => ({ ...c, time: new Date(c.time) })),
    policy,
    { now, latestRunFailed: Boolean(inventory.latestRunFailed) },
  );
  const { decision, kept } = keepInUse(verdict, inventory.inUse ?? []); // absent from inventories recorded before leases
  const expiredIncrements = decision.blocked ? [] : selectExpiredIncrements(inventory.incrementDays, now, policy.imageIncrementDays);
  return { decision, expiredIncrements, keptInUse: kept };
}

/** Moves the backups a running recovery reads from what the rule removes to what it keeps, saying why. */
function keepInUse(decision: RetentionDecision, inUse: InUse): { decision: RetentionDecision; kept: InUse } {
  const kept = inUse.filter((u) => decision.remove.includes(u.backupId) || decision.wouldRemove.includes(u.backupId));
  const isKept = (id: string) => kept.some((k) => k.backupId === id);
  return {
    decision: {
      ...decision,
      keep: [...decision.keep, ...kept.map((k) => ({ backupId: k.backupId, reasons: [`read by ${k.by}, which is still running`] }))],
      remove: decision.remove.filter((id) => !isKept(id)),
      wouldRemove: decision.wouldRemove.filter((id) => !isKept(id)),
    },
    kept,
  };
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
    const chosen = retentionDecision(policy.policy, inventory, new Date());
    const { expiredIncrements } = chosen;
    let decision = chosen.decision;
    if (decision.ignored.length) log.warn('retention ignored backups it cannot trust; they are neither counted nor deleted', { ignored: decision.ignored });
    let deletedFiles: string[] = [];
    let keptInUse = chosen.keptInUse;
    if (!dryRun && (decision.remove.length || expiredIncrements.length)) {
      const deletion = await deleteBackups({ remove: decision.remove, increments: expiredIncrements });
      deletedFiles = deletion.deletedFiles;
      // Leased after the inventory was read (activities/retention.ts looks again): kept all the same.
      const late = keepInUse(decision, deletion.keptInUse ?? []); // absent from results recorded before leases
      decision = late.decision;
      keptInUse = [...keptInUse, ...late.kept];
    }
    recordSummary(`retention${dryRun ? ' (dry run) would remove' : ' removed'} ${decision.remove.length} backup(s) and ${expiredIncrements.length} image increment(s)${keptInUse.length ? `; kept ${keptInUse.length} a running recovery reads` : ''}${decision.blocked ? `; blocked: ${decision.blocked}` : ''}${decision.ignored.length ? `; ignored ${decision.ignored.length} backup(s) it cannot trust` : ''}`);
    if (!dryRun) await recordSuccess('retention', 'succeeded');
    return { ...decision, dryRun, expiredIncrements, deletedFiles, keptInUse, invalidManifests: inventory.invalidManifests };
  } catch (err) {
    await recordFailure('retention', policy.source, err);
    throw err;
  }
}
