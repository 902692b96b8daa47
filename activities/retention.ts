// Carries out retention in the repository: lists what retention decides on (with, for each
// backup, whether its artifacts are in place as recorded: a damaged one must not count), then
// deletes the safe way round: each manifest first (so a crash never leaves a manifest pointing at
// missing files), then only the artifacts no surviving manifest references (an unchanged config
// snapshot is shared by many backups), then expired image increment folders. A backup a running
// recovery has leased (repository/leases.ts) is kept, whatever the rule decided.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RetentionPolicy } from '../core/gfs-retention.js';
import { manifestArtifacts, type Manifest } from '../core/manifest.js';
import { latestBackupRunFailed, type RunRecord } from '../core/run-journal.js';
import { damagedBackups, latestGood, readCatalog, readTrustedCatalog, removeManifest, writeManifest } from '../repository/catalog.js';
import { readLeases } from '../repository/leases.js';
import { backupTime, isIncrementDay, layout } from '../repository/layout.js';
import { readRunJournal } from '../repository/run-journal.js';
import type { ActivityDeps } from './deps.js';
import { fail } from './failure.js';
import { leaseHolder, liveLeases } from './backup-leases.js';

export interface RetentionInventory {
  candidates: Array<{ backupId: string; time: string; hasDump: boolean; hasImages: boolean; hasConfigSnapshot: boolean; problem?: string }>;
  incrementDays: string[];
  latestRunFailed?: RunRecord;
  invalidManifests: string[];
  /** Backups a running recovery reads (repository/leases.ts): kept whatever the rule decides. */
  inUse?: Array<{ backupId: string; by: string }>;
}

export interface RetentionDeletion {
  deletedBackups: string[];
  deletedFiles: string[];
  deletedIncrements: string[];
  /** Backups retention would have removed, kept because a running recovery reads them (repository/leases.ts). */
  keptInUse: Array<{ backupId: string; by: string }>;
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
        inUse: (await liveLeases(deps)).flatMap((lease) => lease.backupIds.map((backupId) => ({ backupId, by: leaseHolder(lease) }))),
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
      const holders = new Map((await liveLeases(deps)).flatMap((lease) => lease.backupIds.map((id) => [id, leaseHolder(lease)] as const)));
      const keptInUse: RetentionDeletion['keptInUse'] = [];
      const removed: Manifest[] = [];
      for (const manifest of catalog.manifests.filter((m) => input.remove.includes(m.backupId))) {
        const holder = holders.get(manifest.backupId);
        if (holder) {
          keptInUse.push({ backupId: manifest.backupId, by: holder });
          continue;
        }
        await removeManifest(root, manifest.backupId);
        // A recovery that chose this backup meanwhile leased it before looking for its manifest
        // again: the manifest goes back, and the recovery finds it on its retry.
        const late = (await readLeases(root)).leases.find((lease) => lease.backupIds.includes(manifest.backupId));
        if (late) {
          await writeManifest(root, manifest);
          keptInUse.push({ backupId: manifest.backupId, by: leaseHolder(late) });
          continue;
        }
        removed.push(manifest);
      }
      // Artifacts go once no surviving manifest lists them (an unchanged config snapshot is shared).
      const survivors = catalog.manifests.filter((m) => !removed.includes(m));
      const stillReferenced = new Set(survivors.flatMap((m) => manifestArtifacts(m).map((a) => a.path)));
      const deletedFiles: string[] = [];
      for (const artifact of removed.flatMap(manifestArtifacts)) {
        if (stillReferenced.has(artifact.path) || deletedFiles.includes(artifact.path)) continue;
        await rm(join(root, artifact.path), { force: true });
        deletedFiles.push(artifact.path);
      }
      for (const day of input.increments) {
        if (!isIncrementDay(day)) continue;
        await rm(join(root, layout.imagesIncrementOfDay(day)), { recursive: true, force: true });
      }
      const result = { deletedBackups: removed.map((m) => m.backupId), deletedFiles, deletedIncrements: input.increments, keptInUse };
      if (removed.length || input.increments.length) logger.info(result, 'retention applied');
      if (keptInUse.length) logger.warn({ keptInUse }, 'retention kept backups a running recovery reads; the next run after it ends removes them');
      return result;
    },
  };
}
