// Carries out retention in the repository: lists what retention decides on (with, for each
// backup, whether its artifacts are in place as recorded: a damaged one must not count), then
// deletes the safe way round: each manifest first (so a crash never leaves a manifest pointing at
// missing files), then only the artifacts no surviving manifest references (an unchanged config
// snapshot is shared by many backups), then expired image increment folders.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RetentionPolicy } from '../core/gfs-retention.js';
import { manifestArtifacts } from '../core/manifest.js';
import { latestBackupRunFailed, type RunRecord } from '../core/run-journal.js';
import { damagedBackups, latestGood, readCatalog, readTrustedCatalog, removeManifest } from '../repository/catalog.js';
import { backupTime, isIncrementDay, layout } from '../repository/layout.js';
import { readRunJournal } from '../repository/run-journal.js';
import type { ActivityDeps } from './deps.js';
import { fail } from './failure.js';

export interface RetentionInventory {
  candidates: Array<{ backupId: string; time: string; hasDump: boolean; hasImages: boolean; hasConfigSnapshot: boolean; problem?: string }>;
  incrementDays: string[];
  latestRunFailed?: RunRecord;
  invalidManifests: string[];
}

export interface RetentionDeletion {
  deletedBackups: string[];
  deletedFiles: string[];
  deletedIncrements: string[];
}

export function createRetentionActivities(deps: ActivityDeps) {
  const { config, logger } = deps;
  const root = config.repository.root;

  return {
    /** The configured rule (numbers and time zone), for the workflow to decide with. */
    async retentionPolicy(): Promise<{ source: string; policy: RetentionPolicy }> {
      const r = config.retention;
      return {
        source: config.source.name,
        policy: {
          daily: r.daily,
          weekly: r.weekly,
          monthly: r.monthly,
          imageIncrementDays: r.imageIncrementDays,
          configSnapshotDays: r.configSnapshotDays,
          timeZone: config.schedules.timezone,
        },
      };
    },

    async listRetentionCandidates(): Promise<RetentionInventory> {
      const catalog = await readCatalog(root);
      const incrementDays = await readdir(join(root, layout.imagesIncrementsDir)).catch(() => [] as string[]);
      const journal = await readRunJournal(root);
      // An unreadable record may hide a failed run; the next run of its kind rewrites it.
      if (journal.invalid.length) logger.warn({ invalid: journal.invalid }, 'run journal records that do not parse are left out');
      const failed = latestBackupRunFailed(journal.records.map((r) => r.record));
      const damaged = new Map((await damagedBackups(root, catalog)).map((d) => [d.backupId, d.problem]));
      if (damaged.size) logger.warn({ damaged: Object.fromEntries(damaged) }, 'backups whose artifacts are not as recorded: retention neither counts nor deletes them');
      return {
        candidates: catalog.manifests.map((m) => ({
          backupId: m.backupId,
          time: backupTime(m.backupId).toISOString(),
          hasDump: Boolean(m.database),
          hasImages: Boolean(m.images),
          hasConfigSnapshot: m.config.some((c) => c.changed),
          ...(damaged.has(m.backupId) ? { problem: damaged.get(m.backupId) } : {}),
        })),
        incrementDays,
        ...(failed ? { latestRunFailed: failed } : {}),
        invalidManifests: catalog.invalid.map((i) => `${i.file}: ${i.reason}`),
      };
    },

    async deleteBackups(input: { remove: string[]; increments: string[] }): Promise<RetentionDeletion> {
      const catalog = await readCatalog(root);
      // Defence in depth: whatever the caller decided, the newest dump that is in place and not
      // from the future is never deleted.
      const newestDump = latestGood(await readTrustedCatalog(root, new Date()), 'database')?.backupId;
      if (newestDump && input.remove.includes(newestDump)) {
        throw fail('VerificationFailed', `refusing to delete ${newestDump}: it is the newest good dump`);
      }
      const removing = catalog.manifests.filter((m) => input.remove.includes(m.backupId));
      const surviving = catalog.manifests.filter((m) => !input.remove.includes(m.backupId));
      const stillReferenced = new Set(surviving.flatMap((m) => manifestArtifacts(m).map((a) => a.path)));
      const deletedFiles: string[] = [];
      for (const manifest of removing) {
        await removeManifest(root, manifest.backupId);
        for (const artifact of manifestArtifacts(manifest)) {
          if (stillReferenced.has(artifact.path)) continue;
          await rm(join(root, artifact.path), { force: true });
          deletedFiles.push(artifact.path);
        }
      }
      for (const day of input.increments) {
        if (!isIncrementDay(day)) continue;
        await rm(join(root, layout.imagesIncrementOfDay(day)), { recursive: true, force: true });
      }
      const result = { deletedBackups: removing.map((m) => m.backupId), deletedFiles, deletedIncrements: input.increments };
      if (removing.length || input.increments.length) logger.info(result, 'retention applied');
      return result;
    },
  };
}
