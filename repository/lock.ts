// The repository lock: `.lock/`, holding `owner.json`, the run that holds it. The directory is
// made with its owner file inside under a temporary name and renamed into place, so the lock never
// exists without its owner: a newcomer that found `.lock/` but no owner in it took the lock for
// stale and removed it from under the run that had just taken it (two writers at once). Who may
// take over a stale lock is the activity's decision (activities/repository-lock.ts); this file
// only knows the files.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { DIR_MODE, ensureDir, FILE_MODE, temporaryNameFor } from './fs-durable.js';
import { readJsonRecord } from './json-records.js';
import { layout } from './layout.js';

export const lockOwnerSchema = z.object({
  workflowId: z.string(),
  runId: z.string(),
  purpose: z.string(),
  acquiredAt: z.string(),
});
export type LockOwner = z.infer<typeof lockOwnerSchema>;

/** Creates the lock for `owner`; false when it exists already (whoever holds it). */
export async function createLock(root: string, owner: LockOwner): Promise<boolean> {
  await ensureDir(root);
  const lockDir = join(root, layout.lockDir);
  const made = temporaryNameFor(lockDir);
  await mkdir(made, { mode: DIR_MODE });
  try {
    await writeFile(join(made, basename(layout.lockOwner)), JSON.stringify(owner), { mode: FILE_MODE });
    // Renaming a directory onto one that holds a file fails: the lock is taken, by whoever.
    await rename(made, lockDir);
    return true;
  } catch (err) {
    if (['EEXIST', 'ENOTEMPTY'].includes((err as NodeJS.ErrnoException).code ?? '')) return false;
    throw err;
  } finally {
    await rm(made, { recursive: true, force: true });
  }
}

/** The lock's holder; undefined when there is no lock, or its owner file is missing or torn. */
export async function readLockOwner(root: string): Promise<LockOwner | undefined> {
  const read = await readJsonRecord(join(root, layout.lockOwner), lockOwnerSchema);
  return 'record' in read ? read.record : undefined;
}

export async function removeLock(root: string): Promise<void> {
  await rm(join(root, layout.lockDir), { recursive: true, force: true });
}
