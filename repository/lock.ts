// The repository lock: `.lock/`, a directory created atomically (mkdir fails when it exists),
// holding `owner.json`, the run that holds it. Who may take over a stale lock is the activity's
// decision (activities/repository-lock.ts); this file only knows the files.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DIR_MODE, ensureDir, FILE_MODE } from './fs-durable.js';
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
  try {
    await mkdir(join(root, layout.lockDir), { mode: DIR_MODE });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  await writeFile(join(root, layout.lockOwner), JSON.stringify(owner), { mode: FILE_MODE });
  return true;
}

/** The lock's holder; undefined when there is no lock, or its owner file is missing or torn. */
export async function readLockOwner(root: string): Promise<LockOwner | undefined> {
  const read = await readJsonRecord(join(root, layout.lockOwner), lockOwnerSchema);
  return 'record' in read ? read.record : undefined;
}

export async function removeLock(root: string): Promise<void> {
  await rm(join(root, layout.lockDir), { recursive: true, force: true });
}
