// The image backup from an S3 bucket (Prompt Box's default deployment keeps images in MinIO): rclone
// reads the bucket through the S3 API into the same mirror and per-day increment as the directory
// source, then every original it copied is checked against its content-addressed name. MinIO's
// data directory is never read as files: its format is internal.
import { chmodSync, readdirSync, statSync } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { S3Source } from '../config/schema.js';
import { addName, noNames } from '../core/bounded-names.js';
import { emptySourceRefusal } from '../core/empty-source.js';
import type { VerificationCheck } from '../core/manifest.js';
import type { HeartbeatProgress } from '../core/progress.js';
import { contentHashOf, layout } from '../repository/layout.js';
import { parseEntries } from '../core/s3-target.js';
import { parseSize, rcloneEvent, rcloneProbeArgs, rcloneSizeArgs, rcloneRemoteEnv, rcloneSyncArgs, s3Failure, SOURCE_FIELD, type S3Place } from '../core/s3-source.js';
import type { SecretRef } from '../core/schema-parts.js';
import type { ActivityDeps } from './deps.js';
import { fail } from './failure.js';
import { DIR_MODE, ensureDir, FILE_MODE } from '../repository/fs-durable.js';
import { sha256File } from './hash.js';
import { fileSizes, totalOf } from './dir-tally.js';
import { withHeartbeat } from './heartbeat.js';
import { pendingIncrementFolders, settlePendingIncrements } from './image-increments.js';
import { startMirrorCheck } from './mirror-check.js';
import { endOrphanedCopier, readInFlight, setAsideUnfinished, settleSetAside, writeInFlight } from './interrupted-copy.js';
import { FILE_PARALLELISM, feedPool, inSlices } from './pool.js';
import type { SecretStore } from './secrets.js';
import type { ImageSyncInput, ImageSyncResult } from './rsync.js';

/**
 * Runs rclone against a bucket; a failure the S3 error code explains is rethrown as that (`field`
 * named, retryability by type).
 */
export async function rcloneStep<T>(s3: S3Place, work: () => Promise<T>, field = SOURCE_FIELD): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const known = err instanceof ApplicationFailure ? s3Failure(err.message, s3, field) : undefined;
    throw known ? fail(known.type, known.message) : err;
  }
}

/** Every line of rclone's JSON log read so far, from `offset`; returns the new offset. */
async function readLog(file: string, offset: number, onLine: (line: string) => void): Promise<number> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return offset;
  try {
    const { size } = await handle.stat();
    if (size <= offset) return offset;
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    const text = buffer.toString('utf8');
    const complete = text.lastIndexOf('\n') + 1; // a line still being written is read next time
    for (const line of text.slice(0, complete).split('\n')) if (line) onLine(line);
    return offset + Buffer.byteLength(text.slice(0, complete));
  } finally {
    await handle.close();
  }
}

/**
 * Repository invariant (0600 files, 0700 directories): rclone creates both with the umask's modes.
 * Only what this run wrote is touched: the copied files with their directories, and the increment.
 */
async function tightenModes(mirror: string, copied: Iterable<string>, increment: string): Promise<void> {
  const dirs = new Set<string>();
  // Synchronous calls in slices (activities/pool.ts): through libuv's pool these queued behind the
  // mirror's walk and took 0.17 s for 40 copied files on every increment.
  await inSlices([...copied], (rel) => {
    try {
      chmodSync(join(mirror, rel), FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // replaced again by a later attempt
    }
    for (let d = dirname(rel); d !== '.'; d = dirname(d)) dirs.add(d);
  });
  await inSlices([...dirs], (d) => {
    try {
      chmodSync(join(mirror, d), DIR_MODE);
    } catch {
      // gone meanwhile: nothing of this run's is in it
    }
  });
  await tightenTree(increment);
}

/** Every folder and file under `dir` given the repository's modes. */
async function tightenTree(dir: string): Promise<void> {
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  await inSlices(entries, (entry) => chmodSync(join(entry.parentPath, entry.name), entry.isDirectory() ? DIR_MODE : FILE_MODE));
}

/**
 * The mirror's file sizes walked before the sync, made what they are after it: rclone changes the
 * mirror only by moving a file aside (into the increment) and by copying one in, and logs each.
 * A copied file is stat'ed now, so the last of several attempts' changes counts.
 */
async function afterSync(sizes: Map<string, number>, mirror: string, movedAside: ReadonlySet<string>, copied: ReadonlySet<string>): Promise<void> {
  for (const rel of movedAside) sizes.delete(rel);
  await inSlices([...copied], (rel) => {
    const now = statSync(join(mirror, rel), { throwIfNoEntry: false });
    if (now?.isFile()) sizes.set(rel, now.size);
    else sizes.delete(rel);
  });
}

/** rclone's environment for a bucket whose keys are references, resolved here on the worker (`field` named when one cannot be read). */
export async function bucketEnv(secrets: SecretStore, s3: S3Place & { accessKey: SecretRef; secretKey: SecretRef }, field: string, remote?: string): Promise<Record<string, string>> {
  const keys = { accessKey: await secrets.resolve(s3.accessKey, `${field}.accessKey`), secretKey: await secrets.resolve(s3.secretKey, `${field}.secretKey`) };
  return rcloneRemoteEnv(process.env, s3, keys, remote);
}

/**
 * File times come from a coarser clock than Date.now(): a file written just after the attempt began
 * may carry a time slightly before it.
 */
const CLOCK_GRANULARITY_MS = 1_000;

/** What the health check compares the mirror with: the source bucket's objects and bytes. */
export async function countBucket(deps: Pick<ActivityDeps, 'commands' | 'secrets'>, s3: S3Source, excludes: string[]): Promise<{ files: number; bytes: number }> {
  const env = await bucketEnv(deps.secrets, s3, SOURCE_FIELD);
  return parseSize((await rcloneStep(s3, () => deps.commands.run('rclone', rcloneSizeArgs(s3, excludes), { env, exactEnv: true }))).stdout);
}

/** Where the bucket's listing was read, for a message: the bucket, and the prefix when there is one. */
const placeOf = (s3: S3Place) => ({
  field: `${SOURCE_FIELD}.${s3.prefix ? 'prefix' : 'bucket'}`,
  where: `${s3.prefix ? `prefix ${s3.prefix} of bucket` : 'bucket'} ${s3.bucket} at ${s3.endpoint}`,
});

export async function syncImagesFromBucket(deps: ActivityDeps, s3: S3Source, input: ImageSyncInput): Promise<ImageSyncResult> {
  const { config, commands, secrets, logger } = deps;
  const { backupId } = input;
  const root = config.repository.root;
  const mirror = join(root, layout.imagesCurrent);
  const increment = join(root, layout.imagesIncrement(backupId));
  await ensureDir(mirror);
  await ensureDir(join(root, layout.imagesIncrementsDir));
  await ensureDir(increment);
  // As for a directory (activities/rsync.ts): moved aside into the run's pending folder, settled
  // into the day's increment without overwriting anything; a dead run's leftovers first. Such a
  // leftover may still hold the folders rclone made with the umask's mode: its modes are tightened
  // first, since settling moves a folder the day does not hold yet whole.
  for (const leftover of await pendingIncrementFolders(root)) await tightenTree(leftover);
  await settlePendingIncrements(root);
  const pending = join(root, layout.imagesIncrementPending(backupId));
  await ensureDir(pending);
  await ensureDir(join(root, layout.staging(backupId)));
  const logFile = join(root, layout.stagedBucketSyncLog(backupId));
  const inFlightFile = join(root, layout.bucketSyncInFlight);
  const aside = join(root, layout.bucketSyncAside);

  const env = await bucketEnv(secrets, s3, SOURCE_FIELD);
  const copied = new Set<string>();
  let moved = 0;
  let hashed = 0;
  let logOffset = 0;
  const mismatches = noNames();
  let checked: Promise<VerificationCheck> | undefined;
  let sizes!: Map<string, number>; // the mirror's files, set before the sync starts
  // Originals are content-addressed: a copied file must hash to its own name. Each is hashed as
  // soon as rclone reports it copied, while the copy goes on (and the file is still in the cache).
  const hashing = feedPool<string>(FILE_PARALLELISM, async (rel) => {
    const expected = contentHashOf(rel);
    if (!expected) return;
    const file = join(mirror, rel);
    if (!(await stat(file).catch(() => undefined))) return; // replaced or deleted by a later attempt
    const { sha256 } = await sha256File(file);
    hashed += 1;
    if (sha256 !== expected) addName(mismatches, rel);
  });
  const movedAside = new Set<string>();
  const onLine = (line: string) => {
    const event = rcloneEvent(line);
    if (event?.kind === 'copied' && !copied.has(event.object)) {
      copied.add(event.object);
      hashing.add(event.object);
    } else if (event?.kind === 'moved') {
      moved += 1;
      movedAside.add(event.object);
    }
  };
  await withHeartbeat(
    (): HeartbeatProgress & { hashed: number } => ({ step: 'images', filesDone: copied.size, hashed }),
    async () => {
      // A lost attempt's leftovers go first (they need no server: a hung one is why it was lost).
      // The log is read from its start, every attempt's lines: what a lost attempt finished is
      // known before its unfinished files are set aside, and checked below with this attempt's.
      logOffset = await readLog(logFile, logOffset, onLine);
      const previous = await readInFlight(inFlightFile);
      if (previous) {
        await endOrphanedCopier(previous);
        const finished = new Set(copied);
        if (previous.logFile && previous.logFile !== logFile) await readLog(previous.logFile, 0, (line) => {
          const event = rcloneEvent(line);
          if (event?.kind === 'copied') finished.add(event.object);
        });
        const setAside = await setAsideUnfinished(mirror, aside, previous.sinceMs, finished);
        if (setAside.length) logger.warn({ backupId, files: setAside.length }, 'files a lost attempt left unfinished were set aside before the sync');
      }
      // The mirror as it is before the sync, walked while the bucket is probed (rclone takes 0.06 s to
      // start): after the sync, what its log says it moved aside or copied corrects it, instead of
      // a second walk after the copy (0.06-0.1 s for 4000 files, on every increment).
      const before = fileSizes(mirror);
      before.catch(() => undefined); // awaited below, unless the probe failed
      // Wrong keys or a missing bucket are told apart before anything is synced, and not retried.
      const probe = await rcloneStep(s3, () => commands.run('rclone', rcloneProbeArgs(s3), { env, exactEnv: true }));
      sizes = await before;
      const refusal = emptySourceRefusal(placeOf(s3), parseEntries(probe.stdout).length, sizes.size > 0);
      if (refusal) throw fail('SourceMissing', refusal);
      const sinceMs = previous?.sinceMs ?? Date.now() - CLOCK_GRANULARITY_MS;
      // Recorded before rclone writes anything, and again with its pid once it runs.
      await writeInFlight(inFlightFile, { sinceMs, logFile });
      // As for a directory: the database's rows listed as the copy starts, the mirror read once it is settled.
      const checking = input.checkMirror ? startMirrorCheck(deps) : undefined;
      const { child, finish } = commands.spawn('rclone', rcloneSyncArgs(s3, mirror, pending, config.source.storage.excludes, logFile), { env, exactEnv: true });
      await writeInFlight(inFlightFile, { sinceMs, logFile, pid: child.pid });
      let reading: Promise<unknown> = Promise.resolve();
      const readMore = () => (reading = reading.then(async () => (logOffset = await readLog(logFile, logOffset, onLine))));
      const tail = setInterval(() => void readMore().catch(() => undefined), 2_000);
      try {
        await rcloneStep(s3, finish);
      } finally {
        clearInterval(tail);
      }
      await reading.catch(() => undefined);
      await readMore();
      await settleSetAside(mirror, aside, pending);
      await afterSync(sizes, mirror, movedAside, copied);
      // Each live image's size for the check, from the corrected walk.
      checked = checking?.finish(hashing.drained().then(() => mismatches), Promise.resolve(sizes));
      checked?.catch(() => undefined);
      await tightenModes(mirror, copied, pending);
      await settlePendingIncrements(root);
      await commands.run('sync', ['--file-system', mirror, increment]);
      await rm(inFlightFile, { force: true });
      await hashing.drained();
    },
  );
  const mirrorCheck = await checked;
  const totals = totalOf(sizes);
  const result: ImageSyncResult = {
    mirror: layout.imagesCurrent,
    increment: layout.imagesIncrement(backupId),
    files: totals.files,
    bytes: totals.bytes,
    transferred: copied.size,
    movedToIncrement: moved,
    nameHashMismatches: mismatches.first,
    nameHashMismatchCount: mismatches.count,
    ...(mirrorCheck ? { mirrorCheck } : {}),
  };
  logger.info({ backupId, bucket: s3.bucket, ...result }, 'images synced from the bucket');
  return result;
}
