// Settles what image runs moved aside into the day's increment without ever overwriting a kept
// file. rsync's --backup-dir and rclone's --backup-dir replace a file already there: pointed at the
// day's folder, a second run that day that replaced or deleted the same path again destroyed the
// first run's copy. So each run moves into its own pending folder (layout.imagesIncrementPending),
// and this settles it, path by path (a folder the day does not hold yet moves whole):
// - a path the day does not hold yet goes into the day's folder: the day keeps each path's oldest
//   version of that day, what the mirror held before the day's first change to it (recovery lays
//   the day over the mirror);
// - the same bytes again are dropped (an original deleted, re-imported and deleted again);
// - other bytes go into the run's version folder (layout.imagesIncrementVersion), which recovery
//   lays under the day's and retention expires with the day.
// Each move is a rename within the increments folder; a run that dies half-way leaves its pending
// folder, which the next image run settles before it syncs.
import { lstatSync, mkdirSync, readdirSync, renameSync, rmdirSync } from 'node:fs';
import { lstat, readdir, readlink, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DIR_MODE } from '../repository/fs-durable.js';
import { layout, pendingIncrementOf } from '../repository/layout.js';
import { sha256File } from './hash.js';
import { inSlices } from './pool.js';

/** Whether two files (or symbolic links) hold the same thing; only called when both exist. */
async function sameContent(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([lstat(a), lstat(b)]);
  if (sa.isSymbolicLink() || sb.isSymbolicLink()) return sa.isSymbolicLink() && sb.isSymbolicLink() && (await readlink(a)) === (await readlink(b));
  if (sa.size !== sb.size) return false;
  const [ha, hb] = await Promise.all([sha256File(a), sha256File(b)]);
  return ha.sha256 === hb.sha256;
}

/**
 * Moves `from` to `to` unless `to` exists: true when moved (rename(2) would replace it).
 * Synchronous: a few metadata calls answered from the kernel's caches (activities/pool.ts).
 */
function moveIfFree(from: string, to: string): boolean {
  if (lstatSync(to, { throwIfNoEntry: false })) return false;
  mkdirSync(dirname(to), { recursive: true, mode: DIR_MODE });
  renameSync(from, to);
  return true;
}

async function settleOne(root: string, backupId: string): Promise<void> {
  const pending = join(root, layout.imagesIncrementPending(backupId));
  const day = join(root, layout.imagesIncrement(backupId));
  const version = join(root, layout.imagesIncrementVersion(backupId));
  /** The pending folders settled entry by entry, each after its parent. */
  const entered: string[] = [];
  await settleFolder('');
  // Children first, each with rmdir(2), which refuses a directory that still holds anything: what
  // was not settled can never be removed with its folder.
  try {
    for (const dir of entered.reverse()) rmdirSync(join(pending, dir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw err;
    const left = (await readdir(pending, { recursive: true, withFileTypes: true })).filter((e) => !e.isDirectory());
    throw new Error(`${layout.imagesIncrementPending(backupId)} still holds ${left.length} file(s) after settling; kept`);
  }

  /**
   * A folder the day does not hold yet holds nothing to compare: it moves whole, one rename (made
   * file by file, each of its folders had to be created, about 1 ms a mkdir on an ext4 volume).
   * One the day holds is settled entry by entry.
   */
  async function settleFolder(rel: string): Promise<void> {
    entered.push(rel);
    const held: string[] = [];
    await inSlices(readdirSync(join(pending, rel), { withFileTypes: true }), (entry) => {
      const path = join(rel, entry.name);
      if (!entry.isDirectory()) return settleFile(path);
      if (!moveIfFree(join(pending, path), join(day, path))) held.push(path);
    });
    for (const path of held) await settleFolder(path);
  }

  /** Settles one path; synchronous unless the day or the version already holds it (compared by content). */
  function settleFile(rel: string): void | Promise<void> {
    const from = join(pending, rel);
    if (!moveIfFree(from, join(day, rel))) return settleTaken(from, rel);
  }

  async function settleTaken(from: string, rel: string): Promise<void> {
    if (await sameContent(from, join(day, rel))) return rm(from);
    if (moveIfFree(from, join(version, rel))) return;
    // The version folder is this run's own: only a copy made there by hand can be in the way.
    if (await sameContent(from, join(version, rel))) return rm(from);
    throw new Error(`${layout.imagesIncrementVersion(backupId)}/${rel} holds other bytes than the file moved aside for it; both kept in place`);
  }
}

/** The runs whose pending folders are in the increments folder, oldest first. */
async function pendingRuns(root: string): Promise<string[]> {
  const names = await readdir(join(root, layout.imagesIncrementsDir)).catch(() => [] as string[]);
  return names.flatMap((n) => pendingIncrementOf(n) ?? []).sort();
}

/** The pending folders in the increments folder (absolute paths), oldest run first. */
export async function pendingIncrementFolders(root: string): Promise<string[]> {
  return (await pendingRuns(root)).map((backupId) => join(root, layout.imagesIncrementPending(backupId)));
}

/** Settles every pending folder in the increments folder, oldest run first. */
export async function settlePendingIncrements(root: string): Promise<void> {
  for (const backupId of await pendingRuns(root)) await settleOne(root, backupId);
}
