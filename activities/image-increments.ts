// Settles what image runs moved aside into the day's increment without ever overwriting a kept
// file. rsync's --backup-dir and rclone's --backup-dir replace a file already there: pointed at the
// day's folder, a second run that day that replaced or deleted the same path again destroyed the
// first run's copy. So each run moves into its own pending folder (layout.imagesIncrementPending),
// and this settles it, file by file:
// - a path the day does not hold yet goes into the day's folder: the day keeps each path's oldest
//   version of that day, what the mirror held before the day's first change to it (recovery lays
//   the day over the mirror);
// - the same bytes again are dropped (an original deleted, re-imported and deleted again);
// - other bytes go into the run's version folder (layout.imagesIncrementVersion), which recovery
//   lays under the day's and retention expires with the day.
// Each move is a rename within the increments folder; a run that dies half-way leaves its pending
// folder, which the next image run settles before it syncs.
import { lstatSync, mkdirSync, renameSync, rmdirSync } from 'node:fs';
import { lstat, readdir, readlink, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { DIR_MODE } from '../repository/fs-durable.js';
import { layout, pendingIncrementOf } from '../repository/layout.js';
import { sha256File } from './hash.js';
import { inSlices } from './pool.js';

export interface SettledIncrements {
  /** Files moved into a day's folder or a run's version folder. */
  kept: number;
  /** Files dropped because the day already held the same bytes at that path. */
  duplicates: number;
}

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

async function settleOne(root: string, backupId: string, tally: SettledIncrements): Promise<void> {
  const pending = join(root, layout.imagesIncrementPending(backupId));
  const day = join(root, layout.imagesIncrement(backupId));
  const version = join(root, layout.imagesIncrementVersion(backupId));
  const entries = await readdir(pending, { recursive: true, withFileTypes: true });
  await inSlices(
    entries.filter((e) => !e.isDirectory()),
    (entry) => settleFile(relative(pending, join(entry.parentPath, entry.name))),
  );
  // Deepest first, each with rmdir(2), which refuses a directory that still holds anything: what
  // was not settled can never be removed with its folder.
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => join(e.parentPath, e.name));
  dirs.sort((a, b) => b.split('/').length - a.split('/').length);
  try {
    for (const dir of [...dirs, pending]) rmdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw err;
    const left = (await readdir(pending, { recursive: true, withFileTypes: true })).filter((e) => !e.isDirectory());
    throw new Error(`${layout.imagesIncrementPending(backupId)} still holds ${left.length} file(s) after settling; kept`);
  }

  /** Settles one path; synchronous unless the day or the version already holds it (compared by content). */
  function settleFile(rel: string): void | Promise<void> {
    const from = join(pending, rel);
    if (moveIfFree(from, join(day, rel))) tally.kept += 1;
    else return settleTaken(from, rel);
  }

  async function settleTaken(from: string, rel: string): Promise<void> {
    if (await sameContent(from, join(day, rel))) {
      await rm(from);
      tally.duplicates += 1;
    } else if (moveIfFree(from, join(version, rel))) tally.kept += 1;
    // Only a settle interrupted between its rename and its count can find the version taken.
    else if (await sameContent(from, join(version, rel))) await rm(from);
    else throw new Error(`${layout.imagesIncrementVersion(backupId)}/${rel} holds other bytes than the file moved aside for it; both kept in place`);
  }
}

/** Settles every pending folder in the increments folder, oldest run first. */
export async function settlePendingIncrements(root: string): Promise<SettledIncrements> {
  const names = await readdir(join(root, layout.imagesIncrementsDir)).catch(() => [] as string[]);
  const runs = names.flatMap((n) => pendingIncrementOf(n) ?? []).sort();
  const tally: SettledIncrements = { kept: 0, duplicates: 0 };
  for (const backupId of runs) await settleOne(root, backupId, tally);
  return tally;
}
