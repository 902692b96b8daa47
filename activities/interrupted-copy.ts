// What a lost attempt of the bucket sync leaves behind, cleared before the next attempt copies.
// rclone 1.60 (Debian 12's) writes a local file in place under its final name: a worker killed
// mid-copy leaves a truncated file in the mirror, and the next `rclone sync` would take it for a
// changed file and move it into the day's increment (over the good version an earlier attempt of
// the day may have moved there). And a SIGKILLed worker does not take its rclone with it: that
// rclone, in its own process group, would go on writing beside the new attempt's.
import { opendir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { ensureDir, exists, writeFileDurable } from '../repository/fs-durable.js';
import { processAlive } from './process-group.js';

/**
 * The bucket sync in flight, kept beside the runs' staging areas (not in one: a failed run's is
 * removed, and the next run must still find what it left): when the first attempt began, and the
 * rclone the latest attempt started. Removed once a sync has finished and been flushed.
 */
export interface SyncInFlight {
  sinceMs: number;
  pid?: number;
  logFile: string;
}

export async function readInFlight(file: string): Promise<SyncInFlight | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<SyncInFlight>;
    if (typeof parsed.sinceMs === 'number' && typeof parsed.logFile === 'string') return { sinceMs: parsed.sinceMs, pid: parsed.pid, logFile: parsed.logFile };
  } catch {
    // A record torn by a crash: treated as an attempt begun at the epoch, which sets aside more.
  }
  return { sinceMs: 0, logFile: '' };
}

export async function writeInFlight(file: string, record: SyncInFlight): Promise<void> {
  await writeFileDurable(file, `${JSON.stringify(record)}\n`);
}

/**
 * Ends the rclone a lost attempt left running. Only a process whose command line names that
 * attempt's log file is signalled: after a reboot the recorded pid may belong to anything.
 */
export async function endOrphanedCopier(previous: SyncInFlight): Promise<boolean> {
  const pid = previous.pid;
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1) return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.split('\0').includes(`--log-file=${previous.logFile}`)) return false;
  try {
    process.kill(-pid, 'SIGKILL'); // its group: rclone leads the group it was started in
  } catch {
    return false;
  }
  for (let waited = 0; processAlive(pid) && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  return true;
}

async function* filesWrittenSince(dir: string, sinceMs: number, base = dir): AsyncGenerator<string> {
  const handle = await opendir(dir).catch(() => undefined);
  if (!handle) return;
  for await (const entry of handle) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesWrittenSince(path, sinceMs, base);
    else if (entry.isFile() && (await stat(path)).mtimeMs >= sinceMs) yield relative(base, path);
  }
}

/**
 * Moves aside every mirror file written since the run's first attempt began that no attempt logged
 * as copied: rclone stamps a finished copy with the object's own modification time, so a file
 * with a newer time and no "Copied" line is one a lost attempt did not finish. Returns their names.
 */
export async function setAsideUnfinished(mirror: string, aside: string, sinceMs: number, copied: ReadonlySet<string>): Promise<string[]> {
  const moved: string[] = [];
  for await (const rel of filesWrittenSince(mirror, sinceMs)) {
    if (copied.has(rel)) continue;
    await ensureDir(dirname(join(aside, rel)));
    await rename(join(mirror, rel), join(aside, rel));
    moved.push(rel);
  }
  return moved;
}

/**
 * After the sync, everything set aside (by this attempt or a lost one): a file the sync copied
 * again is dropped. One it did not names an object gone from the bucket meanwhile, and may be its
 * last copy (a clock set back makes old files look new): it goes into the increment, as a deleted
 * object's file does, unless the increment already holds a version of it.
 */
export async function settleSetAside(mirror: string, aside: string, increment: string): Promise<void> {
  for await (const rel of filesWrittenSince(aside, 0)) {
    const kept = join(increment, rel);
    if ((await exists(join(mirror, rel))) || (await exists(kept))) continue;
    await ensureDir(dirname(kept));
    await rename(join(aside, rel), kept);
  }
  await rm(aside, { recursive: true, force: true });
}
