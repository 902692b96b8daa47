// The backup id a run files its artifacts under, asked for by the holder of the repository lock
// (no other run can take an id meanwhile). An id already used in the repository is never taken
// again: the run gets the next free second, and waits for it (workflows/full-backup.ts).
import { firstFreeBackupId } from '../repository/backup-ids.js';
import type { ActivityDeps } from './deps.js';
import { fail } from './failure.js';

/** How far past this worker's clock a free id may be: further means ids after "now" are used, a clock set back. */
const FREE_ID_HORIZON_MS = 60_000;

export function createBackupIdActivities(deps: ActivityDeps) {
  const root = deps.config.repository.root;
  return {
    async freeBackupId(input: { candidate: string }): Promise<string> {
      const horizon = new Date(Date.now() + FREE_ID_HORIZON_MS);
      const free = await firstFreeBackupId(root, input.candidate, horizon);
      if (free === undefined) {
        throw fail(
          'ArtifactExists',
          `every backup id from ${input.candidate} to a minute past this worker's clock is already used in the repository: its backups are dated after now (was the clock set back?); nothing was written or overwritten`,
        );
      }
      if (free !== input.candidate) deps.logger.warn({ candidate: input.candidate, backupId: free }, 'the backup id of this run is used in the repository already; taking the next free one');
      return free;
    },
  };
}
