// The repository lock for a backup run, waiting out an image increment that holds it. With
// pitr.enabled image increments run every few minutes, so the nightly dump, a config snapshot or
// a full backup due meanwhile would otherwise be refused (RepositoryBusy) and lost for the day.
// Such a run waits, asking again every LOCK_POLL_MS, up to LOCK_WAIT_LIMIT_MS. Any other holder
// (a dump, a full backup, retention) refuses the newcomer at once, as before: those take long, and
// a duplicate of the same run must do nothing.
import { sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { rootFailure } from '../core/alerts.js';
import type { BackupKind } from '../core/manifest.js';
import { BACKUP_OUTCOME } from '../core/search-attributes.js';
import { bookkeeping, LOCK_OPTIONS } from './options.js';
import { withRepositoryLock } from './repository-lock.js';

/** The lock's purpose for a backup run of this kind (what the lock owner file says). */
export const lockPurpose = (kind: BackupKind) => `${kind} backup`;

const IMAGE_RUN = lockPurpose('images');
export const LOCK_POLL_MS = 10_000;
const RELEASED_RETRY_MS = 1_000;
/** An image increment is minutes; one that holds the lock longer is stuck or a first copy, and the waiter gives up. */
export const LOCK_WAIT_LIMIT_MS = 3_600_000;

/**
 * Runs `work` under the repository lock. `waited` tells it the run took the lock only after an
 * image run released it: its backup id must then be taken anew, since the image run may have
 * started in the same second and have its manifest under that id.
 */
export async function withLockAfterImageRuns<T>(purpose: string, work: (waited: boolean) => Promise<T>): Promise<T> {
  let waitedMs = 0;
  let refused = false;
  for (;;) {
    let started = false;
    try {
      return await withRepositoryLock(purpose, () => {
        started = true;
        return work(refused);
      });
    } catch (err) {
      if (started || rootFailure(err).type !== 'RepositoryBusy' || waitedMs >= LOCK_WAIT_LIMIT_MS) throw err;
      const holder = await bookkeeping(LOCK_OPTIONS).repositoryLockHolder();
      if (holder && holder.purpose !== IMAGE_RUN) throw err;
      refused = true;
      upsertSearchAttributes([{ key: BACKUP_OUTCOME, value: 'running' }]);
      // Released meanwhile (no holder) is asked again soon; an image run after a pause. Both count
      // towards the limit: a lock whose owner file stays unreadable must not loop forever.
      const pause = holder ? LOCK_POLL_MS : RELEASED_RETRY_MS;
      await sleep(pause);
      waitedMs += pause;
    }
  }
}
