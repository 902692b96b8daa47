// fullBackup: one backup id ties together the database dump, the image increment and the config
// snapshot, taken in that order (dump first, so every row's file is in the image copy taken
// after it), then encrypted, verified, committed with its manifest last, and old dumps pruned.
// Nothing is recorded as good unless verification passed; a failed run leaves earlier backups
// untouched and its own staging area removed.
import {
  CancellationScope,
  proxyActivities,
  upsertSearchAttributes,
  workflowInfo,
  log,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { FullBackupResult, StepTiming } from '../core/backup-result.js';
import { assembleManifest } from '../core/manifest-assembly.js';
import { backupIdFor, layout } from '../core/repository-layout.js';
import { BACKUP_BYTES, BACKUP_ID, BACKUP_KIND, BACKUP_OUTCOME, BACKUP_SOURCE } from '../core/search-attributes.js';
import type { PlainStaged } from '../core/staged.js';
import { PLAN_OPTIONS, stepOptions } from './options.js';

export interface FullBackupInput {
  /** Free text shown in the result and logs, e.g. "before upgrade to 2.0". */
  reason?: string;
}

const { planBackup } = proxyActivities<Activities>(PLAN_OPTIONS);

export async function fullBackup(input: FullBackupInput = {}): Promise<FullBackupResult> {
  const info = workflowInfo();
  const startedAt = new Date();
  const backupId = backupIdFor(info.runStartTime);
  upsertSearchAttributes([
    { key: BACKUP_KIND, value: 'full' },
    { key: BACKUP_ID, value: backupId },
    { key: BACKUP_OUTCOME, value: 'running' },
  ]);

  let plan: Awaited<ReturnType<typeof planBackup>>;
  try {
    plan = await planBackup();
  } catch (err) {
    upsertSearchAttributes([{ key: BACKUP_OUTCOME, value: 'failed' }]);
    throw err;
  }
  upsertSearchAttributes([{ key: BACKUP_SOURCE, value: plan.source.name }]);
  log.info('backup started', { backupId, source: plan.source.name, reason: input.reason });
  const s = plan.steps;
  const step = <K extends keyof Activities>(name: K, policy: (typeof s)[keyof typeof s], summary: string) =>
    proxyActivities<Activities>(stepOptions(policy, summary))[name];

  const timings: StepTiming[] = [];
  const timed = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const value = await run();
    timings.push({ step: name, ms: Date.now() - t0 });
    return value;
  };

  try {
    const dump = await timed('dump database', () =>
      step('dumpDatabase', s.dump, `1/7 pg_dump -Fc ${plan.source.database} (${plan.source.endpoint})`)({ backupId }),
    );
    const images = await timed('sync images', () =>
      step('syncImages', s.images, '2/7 rsync originals into images/current')({ backupId }),
    );
    const config = await timed('snapshot config', () =>
      step('snapshotConfig', s.configSnapshot, '3/7 snapshot changed config files')({ backupId, encrypted: plan.encrypted }),
    );

    const toSeal: PlainStaged[] = [
      {
        kind: 'dump',
        staged: dump.staged,
        finalPath: layout.dump(plan.source.name, backupId, plan.encrypted),
        plaintextSha256: dump.plaintextSha256,
        plaintextBytes: dump.plaintextBytes,
      },
      ...config.flatMap((c) => (c.plain ? [c.plain] : [])),
    ];
    const staged = await timed('encrypt', () =>
      step('encryptArtifacts', s.encrypt, plan.encrypted ? '4/7 gpg --symmetric AES256' : '4/7 encryption disabled')({
        backupId,
        items: toSeal,
      }),
    );
    const carried = config.flatMap((c) => (c.previous ? [c.previous] : []));
    const verification = await timed('verify', () =>
      step('verifyBackup', s.verify, '5/7 verify checksums, decryption, pg_restore --list, image mirror')({
        backupId,
        staged,
        carried,
        nameHashMismatches: images.nameHashMismatches,
      }),
    );

    const manifest = assembleManifest({
      backupId,
      plan,
      workflow: { workflowId: info.workflowId, runId: info.runId },
      startedAt,
      finishedAt: new Date(),
      dump,
      images,
      config,
      staged,
      verification,
    });
    const manifestPath = await timed('commit', () =>
      step('commitBackup', s.commit, '6/7 move artifacts into place, write manifest last')({ manifest, staged }),
    );

    // The backup is good from here on: a failed cleanup is reported, never turns it into a failure.
    let cleanup: FullBackupResult['cleanup'];
    try {
      cleanup = await timed('cleanup', () =>
        step('cleanupOldDumps', s.cleanup, '7/7 remove dumps past their retention')({ now: new Date().toISOString() }),
      );
    } catch (err) {
      cleanup = { deletedBackups: [], error: (err as Error).message };
    }

    const artifacts = staged.map((a) => a.artifact);
    const bytesWritten = artifacts.reduce((n, a) => n + a.bytes, 0);
    upsertSearchAttributes([
      { key: BACKUP_OUTCOME, value: 'succeeded' },
      { key: BACKUP_BYTES, value: bytesWritten },
    ]);
    const warnings = verification.checks.filter((c) => !c.ok).map((c) => `${c.artifact}: ${c.check}: ${c.detail}`);
    if (cleanup.error) warnings.push(`cleanup failed: ${cleanup.error}`);
    return {
      backupId,
      source: plan.source.name,
      repository: plan.repository,
      manifest: manifestPath,
      artifacts,
      images: {
        mirror: images.mirror,
        increment: images.increment,
        files: images.files,
        bytes: images.bytes,
        transferred: images.transferred,
        movedToIncrement: images.movedToIncrement,
      },
      configChanged: config.filter((c) => c.changed).map((c) => c.name),
      verification: verification.checks,
      warnings,
      cleanup: { deletedBackups: cleanup.deletedBackups, ...(cleanup.error ? { error: cleanup.error } : {}) },
      bytesWritten,
      timings,
      totalMs: Date.now() - startedAt.getTime(),
    };
  } catch (err) {
    upsertSearchAttributes([{ key: BACKUP_OUTCOME, value: 'failed' }]);
    throw err;
  } finally {
    // Runs on success, failure and cancellation alike; must not itself be cancelled.
    await CancellationScope.nonCancellable(() =>
      step('discardStaging', s.commit, 'remove the staging area')({ backupId }),
    );
  }
}
