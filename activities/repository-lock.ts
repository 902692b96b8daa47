// One writer per repository: backups and retention take the lock (an atomically created
// directory naming its owner run) so they never race on the same files. A lock whose owner run
// is no longer running on the Temporal server (terminated, timed out) is taken over, and the
// staging areas that run and any earlier one left behind are removed; a live owner makes the
// newcomer fail at once with RepositoryBusy, doing nothing.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Connection, WorkflowClient, WorkflowNotFoundError } from '@temporalio/client';
import { discardAbandonedStaging } from './commit.js';
import type { ActivityDeps } from './deps.js';
import { ensureDir } from './fs-durable.js';
import { fail } from './failure.js';

interface LockOwner {
  workflowId: string;
  runId: string;
  purpose: string;
  acquiredAt: string;
}

export function createRepositoryLockActivities(deps: ActivityDeps) {
  const { config, logger } = deps;
  const lockDir = join(config.repository.root, '.lock');
  const ownerFile = join(lockDir, 'owner.json');

  async function readOwner(): Promise<LockOwner | undefined> {
    return readFile(ownerFile, 'utf8').then((t) => JSON.parse(t) as LockOwner, () => undefined);
  }

  async function ownerIsRunning(owner: LockOwner): Promise<boolean> {
    const connection = await Connection.connect({ address: config.temporal.address });
    try {
      const client = new WorkflowClient({ connection, namespace: config.temporal.namespace });
      const d = await client.getHandle(owner.workflowId, owner.runId).describe();
      return d.status.name === 'RUNNING';
    } catch (err) {
      // Unknown to the server: nobody holds it. Any other error is no proof the owner stopped,
      // and taking over would remove a live run's staging area: fail, and let the retry ask again.
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    } finally {
      await connection.close();
    }
  }

  return {
    async acquireRepositoryLock(input: { workflowId: string; runId: string; purpose: string }): Promise<void> {
      await ensureDir(config.repository.root);
      for (let attempt = 0; attempt < 2; attempt += 1) {
        try {
          await mkdir(lockDir, { mode: 0o700 });
          const owner: LockOwner = { ...input, acquiredAt: new Date().toISOString() };
          await writeFile(ownerFile, JSON.stringify(owner), { mode: 0o600 });
          return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        const owner = await readOwner();
        if (owner?.workflowId === input.workflowId && owner.runId === input.runId) return; // a retry of ours
        if (owner && (await ownerIsRunning(owner))) {
          throw fail('RepositoryBusy', `the repository is locked by ${owner.purpose} ${owner.workflowId} (since ${owner.acquiredAt}); this run did nothing`);
        }
        logger.warn({ owner }, 'taking over a stale repository lock');
        if (owner) {
          // Another newcomer may have taken it over meanwhile and be writing its staging area: look again.
          if ((await readOwner())?.runId !== owner.runId) continue;
          const discarded = await discardAbandonedStaging(config.repository.root);
          if (discarded.length) logger.warn({ discarded }, 'removed the staging areas of runs that no longer run');
        }
        await rm(lockDir, { recursive: true, force: true });
      }
      throw fail('RepositoryBusy', 'the repository lock changed hands while this run tried to take it');
    },

    async releaseRepositoryLock(input: { workflowId: string; runId: string }): Promise<void> {
      const owner = await readOwner();
      if (owner?.workflowId === input.workflowId && owner.runId === input.runId) await rm(lockDir, { recursive: true, force: true });
    },
  };
}
