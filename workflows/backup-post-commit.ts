// A backup run's post-commit phase. Once its manifest is committed the backup is good: the run is
// recorded as succeeded, then copied off-site, pruned by retention and reported to the success
// URL. Each of these that fails becomes a warning (and the off-site copy an alert), never a
// failed backup.
import { executeChild, patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { OffsiteResult } from '../activities/offsite.js';
import type { VerificationReport } from '../activities/verify.js';
import { rootFailure } from '../core/alerts.js';
import { bytesOf, type BackupFacts, type BackupResult } from '../core/backup-result.js';
import { rpoSeconds, type BackupRun } from '../core/backup-run.js';
import { BACKUP_BYTES, BACKUP_RPO_SECONDS } from '../core/search-attributes.js';
import type { StagedArtifact } from '../core/staged.js';
import { ALERT_OPTIONS, bookkeeping, RETENTION_LIST_OPTIONS, RETENTION_POLICY_OPTIONS, stepOptions, SUCCESS_PING_OPTIONS } from './options.js';
import { applyRetention, retentionDecision, type RetentionReport } from './retention.js';
import { recordSuccess } from './run-outcome.js';
import type { RunProgressTracker } from './run-progress.js';

export type PostCommitFacts = Required<Pick<BackupFacts, 'artifacts' | 'verification' | 'warnings' | 'retention' | 'offsite'>>;

export async function afterCommit(
  run: BackupRun,
  committed: { staged: StagedArtifact[]; verification: VerificationReport },
  progress: RunProgressTracker,
): Promise<PostCommitFacts> {
  const artifacts = committed.staged.map((a) => a.artifact);
  upsertSearchAttributes([{ key: BACKUP_BYTES, value: bytesOf(artifacts) }]);
  const rpo = rpoSeconds(run, new Date());
  if (rpo !== undefined && patched('backup-rpo')) upsertSearchAttributes([{ key: BACKUP_RPO_SECONDS, value: rpo }]);
  const verification = committed.verification.checks;
  const warnings = verification.filter((c) => !c.ok).map((c) => `${c.artifact}: ${c.check}: ${c.detail}`);
  const record = () => recordSuccess(run.kind, 'succeeded', run.backupId);
  const copyThenRetain = async () => {
    const offsite = await copyOffsite(run, warnings);
    const retention = run.input.skipRetention ? { deletedBackups: [] } : await retainAfter(run, progress, warnings);
    return { offsite, retention };
  };
  const ping = async () => {
    try {
      await bookkeeping(SUCCESS_PING_OPTIONS).pingSuccess();
    } catch (err) {
      warnings.push(`success ping failed: ${(err as Error).message}`);
    }
  };
  // None of these waits for another (off-site copies come before retention, which must not prune
  // what is still to be copied): at once, each is a round trip through the worker. Runs recorded
  // before this ran them one after another.
  if (patched('post-commit-at-once')) {
    const [, , { offsite, retention }] = await Promise.all([record(), ping(), copyThenRetain()]);
    return { artifacts, verification, warnings, retention, offsite };
  }
  await record();
  const { offsite, retention } = await copyThenRetain();
  await ping();
  return { artifacts, verification, warnings, retention, offsite };
}

/**
 * Copies the repository to every off-site target and records the verified copies in the
 * manifest. A failed copy is a warning and an alert: the local backup is good regardless.
 */
async function copyOffsite(run: BackupRun, warnings: string[]): Promise<BackupResult['offsite']> {
  const { plan, backupId } = run;
  const results: BackupResult['offsite'] = [];
  const copies: OffsiteResult[] = [];
  // Plans recorded before off-site copies existed have no list: they copy nowhere.
  for (const target of plan.offsite ?? []) {
    const acts = proxyActivities<Activities>(stepOptions(plan.steps.offsite, `off-site copy to ${target}`));
    try {
      const copy = await acts.copyOffsite({ target });
      copies.push(copy);
      results.push({ target, verified: copy.verified, detail: copy.detail });
    } catch (err) {
      const error = rootFailure(err);
      warnings.push(`off-site copy to ${target} failed: ${error.message}`);
      results.push({ target, verified: false, detail: error.message });
      await proxyActivities<Activities>(ALERT_OPTIONS).sendAlert({
        event: 'offsite_failed',
        severity: 'warning',
        source: plan.source.name,
        summary: `off-site copy to ${target} failed; the local backup ${backupId} is good`,
        workflowId: run.workflow.workflowId,
        backupId,
        error,
        at: new Date().toISOString(),
      }).catch(() => undefined);
    }
  }
  if (copies.length) await proxyActivities<Activities>(stepOptions(plan.steps.commit, 'record off-site copies in the manifest')).recordOffsite({ backupId, copies });
  return results;
}

/**
 * Whether retention has anything to do or report, judged from two local reads: most runs have
 * nothing to prune, and the child run costs about 100 ms of round trips through the server.
 */
async function retentionHasWork(): Promise<boolean> {
  const [{ policy }, inventory] = await Promise.all([
    bookkeeping(RETENTION_POLICY_OPTIONS).retentionPolicy(),
    bookkeeping(RETENTION_LIST_OPTIONS).listRetentionCandidates(),
  ]);
  const { decision, expiredIncrements } = retentionDecision(policy, inventory, new Date());
  return decision.remove.length + expiredIncrements.length + decision.ignored.length > 0;
}

/**
 * GFS retention as a child run, under this run's repository lock, when there is anything to
 * prune or report (runs recorded before the check always started the child).
 */
async function retainAfter(run: BackupRun, progress: RunProgressTracker, warnings: string[]): Promise<BackupResult['retention']> {
  try {
    const report = await progress.step('retention', async (): Promise<Pick<RetentionReport, 'remove' | 'ignored'>> =>
      patched('retention-when-due') && !(await retentionHasWork())
        ? { remove: [], ignored: [] }
        : executeChild(applyRetention, { workflowId: `${run.workflow.workflowId}-retention`, args: [{ dryRun: false }] }),
    );
    // Results recorded before retention reported ignored backups have none.
    for (const i of report.ignored ?? []) warnings.push(`retention ignored ${i.backupId} (neither counted nor deleted): ${i.reason}`);
    return { deletedBackups: report.remove };
  } catch (err) {
    const error = (err as Error).message;
    warnings.push(`retention failed: ${error}`);
    return { deletedBackups: [], error };
  }
}
