// Verification before a backup may be called good: every artifact checked end to end
// (activities/artifact-check.ts), and the image mirror checked against the database's own rows.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Artifact, VerificationCheck } from '../core/manifest.js';
import type { StagedArtifact } from '../core/staged.js';
import { layout } from '../repository/layout.js';
import type { ActivityDeps } from './deps.js';
import { createArtifactChecker } from './artifact-check.js';
import { fail } from './failure.js';
import { withHeartbeat } from './heartbeat.js';
import type { HeartbeatProgress } from '../core/progress.js';
import { createPostgresActivities } from './postgres.js';
import { inPool, STAT_PARALLELISM } from './pool.js';

export interface VerificationReport {
  verifiedAt: string;
  checks: VerificationCheck[];
}

const MAX_LISTED = 20;

export function createVerifyActivities(deps: ActivityDeps) {
  const { config, logger } = deps;
  const root = config.repository.root;
  const postgres = createPostgresActivities(deps);
  const checker = createArtifactChecker(deps);

  return {
    async verifyBackup(input: {
      backupId: string;
      staged: StagedArtifact[];
      /** Artifacts of earlier runs this backup still points at (unchanged config files). */
      carried: Artifact[];
      nameHashMismatches: string[];
      /** The total, when more mismatched than are named (absent in older histories). */
      nameHashMismatchCount?: number;
      /** Whether this run synced images, so the mirror must cover the database's rows. */
      checkMirror: boolean;
    }): Promise<VerificationReport> {
      const checks: VerificationCheck[] = [];
      const targets = [
        ...input.staged.map((s) => ({ artifact: s.artifact, file: join(root, s.staged) })),
        ...input.carried.map((a) => ({ artifact: a, file: join(root, a.path) })),
      ];
      let done = 0;
      await withHeartbeat(
        (): HeartbeatProgress => ({ step: 'verify', filesDone: done, filesTotal: targets.length }),
        async () => {
          for (const { artifact, file } of targets) {
            checks.push(...(await checker.checkArtifact(artifact, file)));
            done += 1;
          }
        },
      );

      if (input.checkMirror) checks.push(await checkMirrorCoversDatabase(input.nameHashMismatches, input.nameHashMismatchCount ?? input.nameHashMismatches.length));

      // Image problems are reported, not fatal: they mirror the source's own state, and refusing
      // the backup would also throw away a good database dump.
      const failed = checks.filter((c) => !c.ok && c.check !== 'image mirror');
      if (failed.length > 0) {
        logger.error({ backupId: input.backupId, failed }, 'verification failed');
        throw fail(
          'VerificationFailed',
          `verification failed: ${failed.map((c) => `${c.artifact}: ${c.check}: ${c.detail}`).join('; ')}`,
          { checks },
        );
      }
      logger.info({ backupId: input.backupId, checks: checks.length }, 'backup verified');
      return { verifiedAt: new Date().toISOString(), checks };
    },
  };

  /** Dump first, images after: every live row's original must be in the mirror. */
  async function checkMirrorCoversDatabase(nameHashMismatches: string[], mismatchCount: number): Promise<VerificationCheck> {
    const mirror = join(root, layout.imagesCurrent);
    const live = await postgres.listLiveImages();
    // Metadata only: many at once (activities/pool.ts).
    const sizes = new Array<number>(live.length);
    await inPool(live, STAT_PARALLELISM, async (image, i) => {
      sizes[i] = await stat(join(mirror, image.storagePath)).then((s) => s.size, () => -1);
    });
    const missing = live.flatMap((image, i) => {
      const size = sizes[i]!;
      if (size === image.bytes) return [];
      return [size < 0 ? `${image.storagePath} (missing)` : `${image.storagePath} (${size} bytes, database says ${image.bytes})`];
    });
    const problems = [...missing, ...nameHashMismatches.map((p) => `${p} (content does not match its hash name)`)];
    const total = missing.length + mismatchCount;
    return {
      artifact: layout.imagesCurrent,
      check: 'image mirror',
      ok: total === 0,
      detail: total
        ? `${total} problem(s): ${problems.slice(0, MAX_LISTED).join(', ')}`
        : `all ${live.length} live images present with the database's sizes`,
    };
  }
}
