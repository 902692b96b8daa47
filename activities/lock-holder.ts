// Who holds the repository lock, for a backup that found it taken (workflows/lock-wait.ts): an
// image increment is waited for, any other holder refuses the newcomer. Read-only.
import { readLockOwner } from '../repository/lock.js';
import type { ActivityDeps } from './deps.js';

export function createLockHolderActivities(deps: ActivityDeps) {
  const root = deps.config.repository.root;
  return {
    /** The holder's purpose and workflow; undefined when the lock is free (or its owner file torn). */
    async repositoryLockHolder(): Promise<{ purpose: string; workflowId: string } | undefined> {
      const owner = await readLockOwner(root);
      return owner ? { purpose: owner.purpose, workflowId: owner.workflowId } : undefined;
    },
  };
}
