// Backup runs. One backup id ties together what a run takes: the database dump, the image
// increment and the config snapshot, in that order (dump first, so every row's file is in the
// image copy taken after it); then encryption, verification, the commit with its manifest last,
// and the post-commit phase (workflows/backup-post-commit.ts). Nothing is recorded as good unless
// verification passed; a failed run leaves earlier backups untouched, removes its staging area,
// is recorded in runs/ and alerts.
//
// fullBackup takes all three parts; the scheduled kinds databaseBackup, imageBackup and
// configSnapshot take one each (a config snapshot or an image increment with nothing changed is
// a no-op).
import { ApplicationFailure, CancellationScope, isCancellation, log, patched, proxyActivities, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { BackupPlan } from '../activities/plan.js';
import { rootFailure } from '../core/alerts.js';
import { backupSummary } from '../core/audit-summary.js';
import { backupResult, type BackupFacts, type BackupResult } from '../core/backup-result.js';
import type { BackupInput, BackupRun } from '../core/backup-run.js';
import { assembleManifest } from '../core/manifest-assembly.js';
import { BACKUP_PARTS, kindOf, type BackupPart } from '../core/manifest-format.js';
import { backupIdFor, backupTime, layout } from '../repository/layout.js';
import { BACKUP_ID, BACKUP_KIND, BACKUP_OUTCOME, BACKUP_SOURCE } from '../core/search-attributes.js';
import type { PlainStaged } from '../core/staged.js';
import { afterCommit } from './backup-post-commit.js';
import { bookkeeping, LOCK_OPTIONS, PLAN_OPTIONS, stepOptions } from './options.js';
import { lockPurpose, withLockAfterShortRuns } from './lock-wait.js';
import { withRepositoryLock } from './repository-lock.js';
import { recordFailure, recordSuccess, recordSummary } from './run-outcome.js';
import { trackRunProgress, type RunProgressTracker } from './run-progress.js';

export async function fullBackup(input: BackupInput = {}): Promise<BackupResult> {
  return backupRun([...BACKUP_PARTS], input);
}
export async function databaseBackup(input: BackupInput = {}): Promise<BackupResult> {
  return backupRun(['database'], input);
}
export async function imageBackup(input: BackupInput = {}): Promise<BackupResult> {
  return backupRun(['images'], input);
}
export async function configSnapshot(input: BackupInput = {}): Promise<BackupResult> {
  return backupRun(['config'], input);
}

async function backupRun(parts: BackupPart[], input: BackupInput): Promise<BackupResult> {
  const info = workflowInfo();
  const kind = kindOf(parts);
  const startedAt = new Date();
  const backupId = backupIdFor(info.runStartTime);
  upsertSearchAttributes([
    { key: BACKUP_KIND, value: kind },
    { key: BACKUP_ID, value: backupId },
    { key: BACKUP_OUTCOME, value: 'running' },
  ]);
  // Steps: each part, encrypt and verify (unless only images: not encrypted, checked by their own
  // step), commit, retention.
  const onlyImages = parts.every((p) => p === 'images');
  const checkedSteps = onlyImages ? (mirrorCheckedInImageStep(parts) ? 0 : 1) : 2;
  const progress = trackRunProgress('check tools, sources, repository and passphrase', parts.length + checkedSteps + 2);

  let plan: BackupPlan;
  try {
    plan = await bookkeeping(PLAN_OPTIONS).planBackup({ parts });
  } catch (err) {
    await recordFailure(kind, 'unknown source', err, backupId);
    throw err;
  }
  upsertSearchAttributes([{ key: BACKUP_SOURCE, value: plan.source.name }]);
  log.info('backup started', { backupId, kind, source: plan.source.name, reason: input.reason });
  const run: BackupRun = { backupId, kind, parts, input, plan, workflow: { workflowId: info.workflowId, runId: info.runId }, startedAt };
  // One writer per repository: a concurrent run fails here, before it touches anything.
  // (Runs recorded before the lock existed replay without it.)
  const steps = () => backupSteps(run, progress);
  if (!patched('repository-lock')) return steps();
  // An image increment holding the lock is waited for (workflows/lock-wait.ts); runs recorded
  // before that was so were refused at once.
  if (!patched('wait-for-image-run')) return withRepositoryLock(lockPurpose(kind), steps);
  return withLockAfterShortRuns(lockPurpose(kind), async (waited) => backupSteps(await withFreeBackupId(waited ? afterWaiting(run) : run), progress));
}

/**
 * A backup id is a second, and two runs of one repository can start in the same one (a dump
 * triggered as a full backup ends). Under the lock, a run whose id the repository already uses
 * takes the next free one and waits for that second to come: an id dated after the clock would be
 * future-dated, which the catalog does not trust. Runs recorded before this kept their id.
 */
async function withFreeBackupId(run: BackupRun): Promise<BackupRun> {
  if (!patched('free-backup-id')) return run;
  let backupId: string;
  try {
    backupId = await bookkeeping(LOCK_OPTIONS).freeBackupId({ candidate: run.backupId });
  } catch (err) {
    await recordFailure(run.kind, run.plan.source.name, err, run.backupId);
    throw err;
  }
  if (backupId === run.backupId) return run;
  const ahead = backupTime(backupId).getTime() - Date.now();
  if (ahead > 0) await sleep(ahead);
  upsertSearchAttributes([{ key: BACKUP_ID, value: backupId }]);
  log.info('the backup id this run started with is used in the repository already; took the next free one', { backupId, startedAs: run.backupId });
  return { ...run, backupId };
}

/**
 * The image step checks the mirror against the database's rows itself, while its copies are
 * hashed and flushed; an image-only run then has no verify step (runs recorded before this
 * checked the mirror in the verify step).
 */
function mirrorCheckedInImageStep(parts: BackupPart[]): boolean {
  return parts.includes('images') && patched('mirror-check-in-image-step');
}

/** A run that waited for the lock is dated when it took it: its backup id and start move there. */
function afterWaiting(run: BackupRun): BackupRun {
  const now = new Date();
  const backupId = backupIdFor(now);
  upsertSearchAttributes([{ key: BACKUP_ID, value: backupId }]);
  log.info('took the repository lock after an image run released it', { backupId, startedAs: run.backupId });
  return { ...run, backupId, startedAt: now };
}

async function backupSteps(run: BackupRun, progress: RunProgressTracker): Promise<BackupResult> {
  const { backupId, kind, parts, plan } = run;
  const s = plan.steps;
  // Called inside `timed`, so the step number is the running step's.
  const optionsOf = (policy: (typeof s)[keyof typeof s], summary: string) => {
    progress.budget(policy.timeout);
    return stepOptions(policy, `${progress.stepNo}/${progress.steps} ${summary}`);
  };
  const step = <K extends keyof Activities>(name: K, policy: (typeof s)[keyof typeof s], summary: string) => proxyActivities<Activities>(optionsOf(policy, summary))[name];
  const localStep = <K extends keyof Activities>(name: K, policy: (typeof s)[keyof typeof s], summary: string) => bookkeeping(optionsOf(policy, summary))[name];
  const timed = progress.step;
  // Must not itself be cancelled: it cleans up after a cancelled run too.
  const removeStaging = () => CancellationScope.nonCancellable(() => bookkeeping(stepOptions(s.commit, 'remove the staging area')).discardStaging({ backupId }));
  let stagingRemoved = false;

  try {
    const dump = parts.includes('database')
      ? await timed('dump database', () =>
          step('dumpDatabase', s.dump, `pg_dump -Fc ${plan.source.database} (${plan.source.endpoint})`)({ backupId }),
        )
      : undefined;
    const mirrorInImageStep = mirrorCheckedInImageStep(parts);
    const syncImages = () =>
      timed('sync images', () =>
        mirrorInImageStep
          ? step('syncImages', s.images, 'copy originals into images/current, check the mirror against the database')({ backupId, checkMirror: true })
          : step('syncImages', s.images, 'rsync originals into images/current')({ backupId }),
      );
    // With a dump beside them, failed images do not discard the dump: it is committed, and the run
    // then fails saying so. Runs recorded before this failed whole.
    let imagesFailure: unknown;
    const images = !parts.includes('images')
      ? undefined
      : dump && patched('images-part-may-fail')
        ? await syncImages().catch((err: unknown) => {
            if (isCancellation(err)) throw err;
            imagesFailure = err;
            return undefined;
          })
        : await syncImages();
    const committedParts = imagesFailure === undefined ? parts : parts.filter((p) => p !== 'images');
    if (kind === 'images' && images && images.transferred === 0 && images.movedToIncrement === 0 && patched('unchanged-image-run')) {
      // Image increments run every few minutes: one that found nothing to copy or move aside
      // leaves the mirror as the last verified run left it, and writes no manifest (which would
      // only grow the catalog that every health check, retention and report reads).
      await recordSuccess(kind, 'unchanged', backupId);
      return summarised(run, { outcome: 'unchanged', config: [], timings: progress.done, images });
    }
    const config = parts.includes('config')
      ? await timed('snapshot config', () =>
          step('snapshotConfig', s.configSnapshot, 'snapshot changed config files')({ backupId, encrypted: plan.encrypted }),
        )
      : [];

    if (kind === 'config' && config.every((c) => !c.changed)) {
      // Hourly config checks are cheap no-ops when nothing changed: no manifest, nothing to prune.
      await recordSuccess(kind, 'unchanged', backupId);
      return summarised(run, { outcome: 'unchanged', config, timings: progress.done });
    }

    const toSeal: PlainStaged[] = [
      ...(dump
        ? [{ kind: 'dump' as const, staged: dump.staged, finalPath: layout.dump(plan.source.name, backupId, plan.encrypted), plaintextSha256: dump.plaintextSha256, plaintextBytes: dump.plaintextBytes }]
        : []),
      ...config.flatMap((c) => (c.plain ? [c.plain] : [])),
    ];
    // An image-only run has nothing to seal: no step (runs recorded before this had an empty one).
    const staged =
      !toSeal.length && patched('no-empty-encrypt-step')
        ? []
        : await timed('encrypt', () =>
            step('encryptArtifacts', s.encrypt, plan.encrypted ? 'gpg --symmetric AES256' : 'encryption disabled')({ backupId, items: toSeal }),
          );
    const imageChecks = images?.mirrorCheck ? [images.mirrorCheck] : [];
    const verifyStep = () =>
      timed('verify', () =>
        step('verifyBackup', s.verify, 'verify checksums, decryption, pg_restore --list, image mirror')({
          backupId,
          staged,
          carried: config.flatMap((c) => (c.previous ? [c.previous] : [])),
          nameHashMismatches: images?.nameHashMismatches ?? [],
          ...(images?.nameHashMismatchCount ? { nameHashMismatchCount: images.nameHashMismatchCount } : {}),
          checkMirror: Boolean(images) && !mirrorInImageStep,
        }),
      );
    // An image-only run's image step checked all it wrote: that check is its verification.
    const verification =
      kind === 'images' && mirrorInImageStep
        ? { verifiedAt: new Date().toISOString(), checks: imageChecks }
        : await verifyStep().then((v) => ({ ...v, checks: [...v.checks, ...imageChecks] }));
    const manifest = assembleManifest({
      backupId,
      parts: committedParts,
      plan,
      workflow: run.workflow,
      startedAt: run.startedAt,
      finishedAt: new Date(),
      ...(dump ? { dump } : {}),
      ...(images ? { images } : {}),
      config,
      staged,
      verification,
    });
    const manifestPath = await timed('commit', () =>
      // A run that staged nothing (image-only) only writes its manifest: short local work, so a
      // local activity, not a round trip through the server. Runs recorded before this had the step.
      !staged.length && patched('manifest-only-commit-local')
        ? localStep('commitBackup', s.commit, 'write the manifest')({ manifest, staged })
        : step('commitBackup', s.commit, 'move artifacts into place, write manifest last')({ manifest, staged }),
    );

    if (imagesFailure !== undefined) {
      const cause = rootFailure(imagesFailure);
      throw ApplicationFailure.create({
        type: cause.type ?? 'CommandFailed',
        nonRetryable: true,
        message: `the images part failed (${cause.message}); the database dump${config.some((c) => c.changed) ? ' and config snapshot were' : ' was'} kept and recorded as backup ${backupId} (parts: ${committedParts.join(', ')})`,
      });
    }

    // Committed, the staging area holds nothing of the backup: it is removed beside the post-commit
    // phase, not after it (one round trip less). A removal that fails here is made again below.
    // Runs recorded before this removed it after.
    const [committed] = patched('staging-removed-beside-post-commit')
      ? await Promise.all([afterCommit(run, { staged, verification }, progress), removeStaging().then(() => void (stagingRemoved = true), () => undefined)])
      : [await afterCommit(run, { staged, verification }, progress)];
    return summarised(run, { outcome: 'succeeded', config, manifest: manifestPath, timings: progress.done, ...committed, ...(images ? { images } : {}) });
  } catch (err) {
    await recordFailure(kind, plan.source.name, err, backupId);
    throw err;
  } finally {
    // Runs on success, failure and cancellation alike.
    if (!stagingRemoved) await removeStaging();
  }
}

/** The result, with its one-line summary recorded for the Web UI. */
function summarised(run: BackupRun, facts: BackupFacts): BackupResult {
  const result = backupResult(run, facts, new Date());
  recordSummary(backupSummary(result));
  return result;
}
