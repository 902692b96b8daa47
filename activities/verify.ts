// Verification before a backup may be called good: every artifact checked end to end
// (activities/artifact-check.ts). The image step checks the mirror against the database's rows
// (activities/mirror-check.ts), which runs recorded before that asked for here.
import { join } from 'node:path';
import type { Artifact, VerificationCheck } from '../core/manifest.js';
import type { StagedArtifact } from '../core/staged.js';
import { layout } from '../repository/layout.js';
import type { ActivityDeps } from './deps.js';
import { createArtifactChecker } from './artifact-check.js';
import { fail } from './failure.js';
import { withHeartbeat } from './heartbeat.js';
import type { HeartbeatProgress } from '../core/progress.js';
import { startMirrorCheck } from './mirror-check.js';

export interface VerificationReport {
  verifiedAt: string;
  checks: VerificationCheck[];
}

export function createVerifyActivities(deps: ActivityDeps) {
  const { config, logger } = deps;
  const root = config.repository.root;
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
      /** Whether the mirror must be checked here (runs whose image step did not check it). */
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

      // Runs recorded before the image step checked the mirror itself ask for it here.
      if (input.checkMirror) checks.push(await startMirrorCheck(deps).finish({ first: input.nameHashMismatches, count: input.nameHashMismatchCount ?? input.nameHashMismatches.length }));

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
}
