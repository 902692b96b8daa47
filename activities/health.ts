// Gathers the facts the health check decides on: good dumps from the catalog (only those whose
// artifacts are in place, with the damaged, future-dated and invalid manifests listed apart), the
// run journal, free space on the backup volume, and file counts and bytes of the image mirror and
// its source. Used by the healthCheck workflow and directly by the CLI. With pitr.enabled, the
// WAL archive's lag and whether its archiver runs, gathered apart: they ask the source and Temporal.
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { pino } from 'pino';
import type { Config, S3Source } from '../config/schema.js';
import type { ArchiveHealthFacts, HealthFacts } from '../core/health.js';
import { readTrustedCatalog } from '../repository/catalog.js';
import { layout } from '../repository/layout.js';
import { readRunJournal } from '../repository/run-journal.js';
import { createActivityDeps, type ActivityDeps } from './deps.js';
import { tally } from './dir-tally.js';
import { withHeartbeat } from './heartbeat.js';
import { countBucket } from './s3-sync.js';
import { createWalArchiverActivities } from './wal-archiver.js';
import { describeArchiver } from './wal-archiver-run.js';

export async function gatherHealthFacts(config: Config, now = new Date(), countBucket?: (s3: S3Source, excludes: string[]) => Promise<{ files: number; bytes: number }>): Promise<HealthFacts> {
  const root = config.repository.root;
  const catalog = await readTrustedCatalog(root, now);
  const fs = await statfs(root).catch(() => undefined);
  const progress = { files: 0 };
  const storage = config.source.storage;
  // A bucket is counted through the S3 API with its keys, by the worker's health check
  // (`countBucket`); the CLI's check runs without one, and leaves the mirror comparison out.
  const [mirror, source] = await withHeartbeat(
    () => progress,
    () =>
      Promise.all([
        tally(join(root, layout.imagesCurrent), [], progress),
        'root' in storage ? tally(storage.root, storage.excludes, progress) : countBucket?.(storage.s3, storage.excludes),
      ]),
  );
  return {
    now: now.toISOString(),
    dumps: catalog.manifests
      .filter((m) => m.database)
      .map((m) => ({ backupId: m.backupId, finishedAt: m.finishedAt, bytes: m.database!.artifact.bytes })),
    damaged: catalog.damaged,
    futureDated: catalog.futureDated,
    invalidManifests: catalog.invalid.map((i) => `${i.file}: ${i.reason}`),
    runs: (await readRunJournal(root)).records.map((r) => r.record),
    freeBytes: fs ? fs.bavail * fs.bsize : 0,
    ...(catalog.manifests.some((m) => m.images) && source ? { mirror, source } : {}),
  };
}

/** The archive's lag (activities/wal-archiver.ts, core/wal-lag.ts) against pitr.maxLag. */
export async function gatherArchiveLag(deps: ActivityDeps): Promise<Omit<ArchiveHealthFacts, 'archiver'>> {
  const maxLagMs = deps.config.pitr.maxLag;
  const { lagMs, behindBytes, verdict } = await createWalArchiverActivities(deps).walArchiveStatus({ maxLagMs });
  return { lag: { lagMs, behindBytes, verdict }, maxLagMs };
}

/** The `health` command's facts: the worker's, less those needing Temporal (the archiver's run) or the S3 API (a bucket's count). */
export async function gatherLocalHealthFacts(config: Config): Promise<HealthFacts> {
  const facts = await gatherHealthFacts(config);
  // Silent: a source that does not answer shows in the check's detail, not as log lines on the terminal.
  return config.pitr.enabled ? { ...facts, archive: await gatherArchiveLag(createActivityDeps(config, pino({ level: 'silent' }))) } : facts;
}

export function createHealthActivities(deps: ActivityDeps) {
  return {
    /** `pitr`: whether the workflow asks for the archive's facts too (gatherArchiveHealth). */
    async gatherHealth(): Promise<{ facts: HealthFacts; thresholds: Config['health']; source: string; pitr: boolean }> {
      return {
        facts: await gatherHealthFacts(deps.config, new Date(), (s3, excludes) => countBucket(deps, s3, excludes)),
        thresholds: deps.config.health,
        source: deps.config.source.name,
        pitr: deps.config.pitr.enabled,
      };
    },

    async gatherArchiveHealth(): Promise<ArchiveHealthFacts> {
      const { workflowId, running } = await describeArchiver(Context.current().client, deps.config.source.name);
      return { ...(await gatherArchiveLag(deps)), archiver: { workflowId, running } };
    },
  };
}
