// The repository lock for a backup run, waiting out a short run that holds it: an image
// increment (every few minutes with pitr.enabled) or a config snapshot (hourly, at :00, the minute
// the nightly dump starts too). The nightly dump, a full backup or retention due meanwhile would
// otherwise be refused (RepositoryBusy) and lost for the day. Such a run waits, asking again every
// LOCK_POLL_MS, up to LOCK_WAIT_LIMIT_MS. Any other holder (a dump, a full backup, retention)
// refuses the newcomer at once, as before: those take long, and the newcomer's schedule comes
// round again; so does a holder of the newcomer's own purpose, since a duplicate of a run must do
// nothing.
import { patched, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { rootFailure } from '../core/alerts.js';
import type { BackupKind } from '../core/manifest.js';
import { BACKUP_OUTCOME } from '../core/search-attributes.js';
import { bookkeeping, LOCK_OPTIONS } from './options.js';
import { withRepositoryLock } from './repository-lock.js';

/** The lock's purpose for a backup run of this kind (what the lock owner file says). */
export const lockPurpose = (kind: BackupKind) => `${kind} backup`;

const IMAGE_RUN = lockPurpose('images');
const SHORT_RUNS = [IMAGE_RUN, lockPurpose('config')];
export const LOCK_POLL_MS = 10_000;
const RELEASED_RETRY_MS = 1_000;
/** An image increment is minutes; one that holds the lock longer is stuck or a first copy, and the waiter gives up. */
export const LOCK_WAIT_LIMIT_MS = 3_600_000;

/**
 * Runs `work` under the repository lock. `waited` tells it the run took the lock only after a
 * short run released it: its backup id must then be taken anew, since that run may have started
 * in the same second and have its manifest under that id.
 */
export async function withLockAfterShortRuns<T>(purpose: string, work: (waited: boolean) => Promise<T>): Promise<T> {
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
      // Runs recorded before config snapshots were waited for waited for image runs only, duplicates included.
      const waitable = patched('wait-for-config-snapshot') ? (holder && holder.purpose !== purpose ? SHORT_RUNS : []) : [IMAGE_RUN];
      if (holder && !waitable.includes(holder.purpose)) throw err;
      refused = true;
      upsertSearchAttributes([{ key: BACKUP_OUTCOME, value: 'running' }]);
      // Released meanwhile (no holder) is asked again soon; a short run after a pause. Both count
      // towards the limit: a lock whose owner file stays unreadable must not loop forever.
      const pause = holder ? LOCK_POLL_MS : RELEASED_RETRY_MS;
      await sleep(pause);
      waitedMs += pause;
    }
  }
}
