// One writer per repository: backups and retention take the lock (repository/lock.ts) so they
// never race on the same files. A lock whose owner run is no longer running on the Temporal
// server (terminated, timed out) is taken over, and the staging areas that run and any earlier
// one left behind are removed; a live owner makes the newcomer fail at once with RepositoryBusy,
// doing nothing.
import { createLock, readLockOwner, removeLock } from '../repository/lock.js';
import { discardAbandonedStaging } from './commit.js';
import type { ActivityDeps } from './deps.js';
import { fail } from './failure.js';
import { runIsRunning } from './run-liveness.js';

export function createRepositoryLockActivities(deps: ActivityDeps) {
  const { config, logger } = deps;
  const root = config.repository.root;

  return {
    async acquireRepositoryLock(input: { workflowId: string; runId: string; purpose: string }): Promise<void> {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        if (await createLock(root, { ...input, acquiredAt: new Date().toISOString() })) return;
        const owner = await readLockOwner(root);
        if (owner?.workflowId === input.workflowId && owner.runId === input.runId) return; // a retry of ours
        // Any error asking is no proof the owner stopped, and taking over would remove a live run's
        // staging area: it fails the attempt, and the retry asks again.
        if (owner && (await runIsRunning(config.temporal, owner))) {
          throw fail('RepositoryBusy', `the repository is locked by ${owner.purpose} ${owner.workflowId} (since ${owner.acquiredAt}); this run did nothing`);
        }
        logger.warn({ owner }, 'taking over a stale repository lock');
        if (owner) {
          // Another newcomer may have taken it over meanwhile and be writing its staging area: look again.
          if ((await readLockOwner(root))?.runId !== owner.runId) continue;
          const discarded = await discardAbandonedStaging(root);
          if (discarded.length) logger.warn({ discarded }, 'removed the staging areas of runs that no longer run');
        }
        await removeLock(root);
      }
      throw fail('RepositoryBusy', 'the repository lock changed hands while this run tried to take it');
    },

    async releaseRepositoryLock(input: { workflowId: string; runId: string }): Promise<void> {
      const owner = await readLockOwner(root);
      if (owner?.workflowId === input.workflowId && owner.runId === input.runId) await removeLock(root);
    },
  };
}
