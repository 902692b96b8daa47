// Moves a verified run's artifacts from staging to their final names and writes the manifest
// last: a manifest exists only for artifacts that are in place with the recorded sha256.
// Never overwrites an artifact that is already there with other content.
import { readdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Manifest } from '../core/manifest.js';
import { isBackupId, layout } from '../repository/layout.js';
import type { StagedArtifact } from '../core/staged.js';
import { writeManifest } from '../repository/catalog.js';
import type { ActivityDeps } from './deps.js';
import { ensureDir, exists, fsyncPath, removeTree } from '../repository/fs-durable.js';
import { fail } from './failure.js';
import { sha256File } from './hash.js';

/**
 * Removes every run's staging area. Only for the holder of the repository lock that took it over
 * from a run no longer running: nobody else writes there, and a terminated run never ran its own
 * clean-up, so its plaintext dump would stay forever. Returns the backup ids removed.
 */
export async function discardAbandonedStaging(root: string): Promise<string[]> {
  const names = await readdir(join(root, layout.stagingDir)).catch(() => [] as string[]);
  const abandoned = names.filter(isBackupId);
  for (const backupId of abandoned) await removeTree(join(root, layout.staging(backupId)));
  return abandoned;
}

export function createCommitActivities(deps: ActivityDeps) {
  const { config, logger } = deps;
  const root = config.repository.root;

  return {
    async commitBackup(input: { manifest: Manifest; staged: StagedArtifact[] }): Promise<string> {
      for (const { staged, artifact } of input.staged) {
        const from = join(root, staged);
        const to = join(root, artifact.path);
        if (await exists(to)) {
          // A retry after this artifact was already moved finds it in place with the same hash.
          const { sha256 } = await sha256File(to);
          if (sha256 === artifact.sha256) continue;
          throw fail('ArtifactExists', `${artifact.path} already exists with other content; it is never overwritten`);
        }
        if (!(await exists(from))) throw fail('VerificationFailed', `${staged} disappeared from staging before commit`);
        await ensureDir(dirname(to));
        await rename(from, to);
        await fsyncPath(dirname(to));
      }
      const path = await writeManifest(root, input.manifest);
      logger.info({ backupId: input.manifest.backupId, manifest: path }, 'backup committed');
      return path;
    },

    /** Removes a run's staging area, whatever its outcome; nothing in it is a good backup. */
    async discardStaging(input: { backupId: string }): Promise<void> {
      await removeTree(join(root, layout.staging(input.backupId)));
    },
  };
}
