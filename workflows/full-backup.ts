// Backup runs. One backup id ties together what a run takes: the database dump, the image
// increment and the config snapshot, in that order (dump first, so every row's file is in the
// image copy taken after it); then encryption, verification, the commit with its manifest last,
// and GFS retention. Nothing is recorded as good unless verification passed; a failed run leaves
// earlier backups untouched, removes its staging area, is recorded in runs/ and alerts.
//
// fullBackup takes all three parts; the scheduled kinds databaseBackup, imageBackup and
// configSnapshot take one each (a config snapshot with nothing changed is a no-op).
import { ApplicationFailure, CancellationScope, executeChild, isCancellation, log, patched, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { BackupPlan } from '../activities/plan.js';
import type { FullBackupResult, StepTiming } from '../core/backup-result.js';
import { assembleManifest } from '../core/manifest-assembly.js';
import { BACKUP_PARTS, kindOf, type BackupPart } from '../core/manifest.js';
import { backupIdFor, backupTime, layout } from '../core/repository-layout.js';
import { BACKUP_BYTES, BACKUP_ID, BACKUP_KIND, BACKUP_OUTCOME, BACKUP_RPO_SECONDS, BACKUP_SOURCE } from '../core/search-attributes.js';
import type { PlainStaged } from '../core/staged.js';
import { ALERT_OPTIONS, bookkeeping, PLAN_OPTIONS, stepOptions } from './options.js';
import { rootFailure } from '../core/alerts.js';
import { applyRetention } from './retention.js';
import { recordFailure, recordSuccess, recordSummary } from './run-outcome.js';
import { backupSummary } from '../core/audit-summary.js';
import { withRepositoryLock } from './repository-lock.js';
import { trackRunProgress, type RunProgressTracker } from './run-progress.js';

export interface BackupInput {
  /** Free text shown in the result and logs, e.g. "before upgrade to 2.0". */
  reason?: string;
  /** Skip the GFS retention run that follows a successful backup. */
  skipRetention?: boolean;
}

export async function fullBackup(input: BackupInput = {}): Promise<FullBackupResult> {
  return backupRun([...BACKUP_PARTS], input);
}
export async function databaseBackup(input: BackupInput = {}): Promise<FullBackupResult> {
  return backupRun(['database'], input);
}
export async function imageBackup(input: BackupInput = {}): Promise<FullBackupResult> {
  return backupRun(['images'], input);
}
export async function configSnapshot(input: BackupInput = {}): Promise<FullBackupResult> {
  return backupRun(['config'], input);
}

async function backupRun(parts: BackupPart[], input: BackupInput): Promise<FullBackupResult> {
  const info = workflowInfo();
  const kind = kindOf(parts);
  const startedAt = new Date();
  const backupId = backupIdFor(info.runStartTime);
  upsertSearchAttributes([
    { key: BACKUP_KIND, value: kind },
    { key: BACKUP_ID, value: backupId },
    { key: BACKUP_OUTCOME, value: 'running' },
  ]);
  // Steps: each part, encrypt, verify, commit, retention.
  const progress = trackRunProgress('check tools, sources, repository and passphrase', 4 + parts.length);

  let plan: BackupPlan;
  try {
    plan = await bookkeeping(PLAN_OPTIONS).planBackup();
  } catch (err) {
    await recordFailure(kind, 'unknown source', err, backupId);
    throw err;
  }
  upsertSearchAttributes([{ key: BACKUP_SOURCE, value: plan.source.name }]);
  log.info('backup started', { backupId, kind, source: plan.source.name, reason: input.reason });
  // One writer per repository: a concurrent run fails here, before it touches anything.
  // (Runs recorded before the lock existed replay without it.)
  const steps = () => backupSteps(parts, kind, backupId, plan, input, startedAt, progress);
  return patched('repository-lock') ? withRepositoryLock(`${kind} backup`, steps) : steps();
}

async function backupSteps(
  parts: BackupPart[],
  kind: FullBackupResult['kind'],
  backupId: string,
  plan: BackupPlan,
  input: BackupInput,
  startedAt: Date,
  progress: RunProgressTracker,
): Promise<FullBackupResult> {
  const info = workflowInfo();
  const s = plan.steps;
  // Called inside `timed`, so the step number is the running step's.
  const step = <K extends keyof Activities>(name: K, policy: (typeof s)[keyof typeof s], summary: string) => {
    progress.budget(policy.timeout);
    return proxyActivities<Activities>(stepOptions(policy, `${progress.stepNo}/${progress.steps} ${summary}`))[name];
  };
  const timed = progress.step;
  const timings = progress.done;

  try {
    const dump = parts.includes('database')
      ? await timed('dump database', () =>
          step('dumpDatabase', s.dump, `pg_dump -Fc ${plan.source.database} (${plan.source.endpoint})`)({ backupId }),
        )
      : undefined;
    const syncImages = () => timed('sync images', () => step('syncImages', s.images, 'rsync originals into images/current')({ backupId }));
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
    const config = parts.includes('config')
      ? await timed('snapshot config', () =>
          step('snapshotConfig', s.configSnapshot, 'snapshot changed config files')({ backupId, encrypted: plan.encrypted }),
        )
      : [];

    if (kind === 'config' && config.every((c) => !c.changed)) {
      // Hourly config checks are cheap no-ops when nothing changed: no manifest, nothing to prune.
      await recordSuccess(kind, 'unchanged', backupId);
      return summarised({ backupId, kind, parts, plan, startedAt, timings, outcome: 'unchanged', config });
    }

    const toSeal: PlainStaged[] = [
      ...(dump
        ? [{ kind: 'dump' as const, staged: dump.staged, finalPath: layout.dump(plan.source.name, backupId, plan.encrypted), plaintextSha256: dump.plaintextSha256, plaintextBytes: dump.plaintextBytes }]
        : []),
      ...config.flatMap((c) => (c.plain ? [c.plain] : [])),
    ];
    const staged = await timed('encrypt', () =>
      step('encryptArtifacts', s.encrypt, plan.encrypted ? 'gpg --symmetric AES256' : 'encryption disabled')({ backupId, items: toSeal }),
    );
    const verification = await timed('verify', () =>
      step('verifyBackup', s.verify, 'verify checksums, decryption, pg_restore --list, image mirror')({
        backupId,
        staged,
        carried: config.flatMap((c) => (c.previous ? [c.previous] : [])),
        nameHashMismatches: images?.nameHashMismatches ?? [],
        ...(images?.nameHashMismatchCount ? { nameHashMismatchCount: images.nameHashMismatchCount } : {}),
        checkMirror: Boolean(images),
      }),
    );
    const manifest = assembleManifest({
      backupId,
      parts: committedParts,
      plan,
      workflow: { workflowId: info.workflowId, runId: info.runId },
      startedAt,
      finishedAt: new Date(),
      ...(dump ? { dump } : {}),
      ...(images ? { images } : {}),
      config,
      staged,
      verification,
    });
    const manifestPath = await timed('commit', () =>
      step('commitBackup', s.commit, 'move artifacts into place, write manifest last')({ manifest, staged }),
    );

    if (imagesFailure !== undefined) {
      const cause = rootFailure(imagesFailure);
      throw ApplicationFailure.create({
        type: cause.type ?? 'CommandFailed',
        nonRetryable: true,
        message: `the images part failed (${cause.message}); the database dump${config.some((c) => c.changed) ? ' and config snapshot were' : ' was'} kept and recorded as backup ${backupId} (parts: ${committedParts.join(', ')})`,
      });
    }

    // The backup is good from here on: what follows is reported, never turns it into a failure.
    const artifacts = staged.map((a) => a.artifact);
    const bytesWritten = artifacts.reduce((n, a) => n + a.bytes, 0);
    upsertSearchAttributes([{ key: BACKUP_BYTES, value: bytesWritten }]);
    const rpoSeconds = rpoFigure(plan, parts);
    if (rpoSeconds !== undefined && patched('backup-rpo')) upsertSearchAttributes([{ key: BACKUP_RPO_SECONDS, value: rpoSeconds }]);
    await recordSuccess(kind, 'succeeded', backupId);
    const warnings = verification.checks.filter((c) => !c.ok).map((c) => `${c.artifact}: ${c.check}: ${c.detail}`);
    const offsite = await copyOffsite(plan, backupId, info.workflowId, warnings);
    let retention: FullBackupResult['retention'] = { deletedBackups: [] };
    if (!input.skipRetention) {
      try {
        const report = await timed('retention', () =>
          executeChild(applyRetention, { workflowId: `${info.workflowId}-retention`, args: [{ dryRun: false }] }),
        );
        retention = { deletedBackups: report.remove };
        // Results recorded before retention reported ignored backups have none.
        for (const i of report.ignored ?? []) warnings.push(`retention ignored ${i.backupId} (neither counted nor deleted): ${i.reason}`);
      } catch (err) {
        retention = { deletedBackups: [], error: (err as Error).message };
        warnings.push(`retention failed: ${retention.error}`);
      }
    }
    try {
      await bookkeeping({ summary: 'ping the success URL', startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } }).pingSuccess();
    } catch (err) {
      warnings.push(`success ping failed: ${(err as Error).message}`);
    }
    return summarised({
      backupId, kind, parts, plan, startedAt, timings, outcome: 'succeeded', config, manifest: manifestPath,
      artifacts, bytesWritten, verification: verification.checks, warnings, retention, offsite, ...(images ? { images } : {}),
    });
  } catch (err) {
    await recordFailure(kind, plan.source.name, err, backupId);
    throw err;
  } finally {
    // Runs on success, failure and cancellation alike; must not itself be cancelled.
    await CancellationScope.nonCancellable(() =>
      bookkeeping(stepOptions(s.commit, 'remove the staging area')).discardStaging({ backupId }),
    );
  }
}

/**
 * Copies the repository to every off-site target and records the verified copies in the
 * manifest. A failed copy is a warning and an alert: the local backup is good regardless.
 */
async function copyOffsite(plan: BackupPlan, backupId: string, workflowId: string, warnings: string[]): Promise<FullBackupResult['offsite']> {
  const results: FullBackupResult['offsite'] = [];
  const copies: Awaited<ReturnType<Activities['copyOffsite']>>[] = [];
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
        workflowId,
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
 * The run's RPO figure: the age of the newest good backup of its data (the dump when it has one)
 * at the moment this one became good; none for a repository's first backup.
 */
function rpoFigure(plan: BackupPlan, parts: BackupPart[]): number | undefined {
  const previous = plan.previousGood?.[parts[0] as BackupPart];
  return previous ? Math.round((Date.now() - backupTime(previous).getTime()) / 1000) : undefined;
}

/** The result, with its one-line summary recorded for the Web UI. */
function summarised(r: Parameters<typeof summarise>[0]): FullBackupResult {
  const result = summarise(r);
  recordSummary(backupSummary(result));
  return result;
}

function summarise(r: {
  backupId: string;
  kind: FullBackupResult['kind'];
  parts: BackupPart[];
  plan: BackupPlan;
  startedAt: Date;
  timings: StepTiming[];
  outcome: FullBackupResult['outcome'];
  config: Array<{ name: string; changed: boolean }>;
  manifest?: string;
  artifacts?: FullBackupResult['artifacts'];
  bytesWritten?: number;
  images?: NonNullable<FullBackupResult['images']> & { nameHashMismatches?: string[] };
  verification?: FullBackupResult['verification'];
  warnings?: string[];
  retention?: FullBackupResult['retention'];
  offsite?: FullBackupResult['offsite'];
}): FullBackupResult {
  return {
    backupId: r.backupId,
    kind: r.kind,
    parts: r.parts,
    outcome: r.outcome,
    source: r.plan.source.name,
    repository: r.plan.repository,
    ...(r.manifest ? { manifest: r.manifest } : {}),
    artifacts: r.artifacts ?? [],
    ...(r.images
      ? {
          images: {
            mirror: r.images.mirror,
            increment: r.images.increment,
            files: r.images.files,
            bytes: r.images.bytes,
            transferred: r.images.transferred,
            movedToIncrement: r.images.movedToIncrement,
          },
        }
      : {}),
    configChanged: r.config.filter((c) => c.changed).map((c) => c.name),
    verification: r.verification ?? [],
    warnings: r.warnings ?? [],
    retention: r.retention ?? { deletedBackups: [] },
    offsite: r.offsite ?? [],
    bytesWritten: r.bytesWritten ?? 0,
    timings: r.timings,
    totalMs: Date.now() - r.startedAt.getTime(),
  };
}
