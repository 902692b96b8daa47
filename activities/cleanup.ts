// Deletes expired backups the safe way round: the manifest goes first (so a crash never leaves a
// manifest pointing at missing files), then only the artifacts no surviving manifest references
// (an unchanged config snapshot is shared by many backups).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { selectExpiredByAge } from '../core/age-retention.js';
import { manifestArtifacts } from '../core/manifest.js';
import { layout } from '../core/repository-layout.js';
import { readCatalog } from './catalog.js';
import type { ActivityDeps } from './deps.js';
import { fsyncPath } from './fs-durable.js';

export interface CleanupResult {
  deletedBackups: string[];
  deletedFiles: string[];
  kept: number;
}

export function createCleanupActivities(deps: ActivityDeps) {
  const { config, logger } = deps;
  const root = config.repository.root;

  return {
    async cleanupOldDumps(input: { now: string }): Promise<CleanupResult> {
      const catalog = await readCatalog(root);
      const { expired, kept } = selectExpiredByAge(
        catalog.manifests.map((m) => m.backupId),
        new Date(input.now),
        config.retention.dumpMaxAgeDays,
      );
      const survivors = catalog.manifests.filter((m) => kept.includes(m.backupId));
      const stillReferenced = new Set(survivors.flatMap((m) => manifestArtifacts(m).map((a) => a.path)));
      const deletedFiles: string[] = [];
      for (const manifest of catalog.manifests.filter((m) => expired.includes(m.backupId))) {
        await rm(join(root, layout.manifest(manifest.backupId)), { force: true });
        await fsyncPath(join(root, layout.manifestsDir));
        for (const artifact of manifestArtifacts(manifest)) {
          if (stillReferenced.has(artifact.path)) continue;
          await rm(join(root, artifact.path), { force: true });
          deletedFiles.push(artifact.path);
        }
      }
      if (expired.length) logger.info({ deletedBackups: expired, deletedFiles }, 'expired backups removed');
      return { deletedBackups: expired, deletedFiles, kept: kept.length };
    },
  };
}
