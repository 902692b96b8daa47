// Image backup from an S3 bucket (issue 14) against `rclone sync` of the same bucket to a local
// directory, in the same run on the same data: the main source's originals and thumbnails,
// uploaded to a bucket on a local S3 server (versitygw). Ours is the scheduled `imageBackup` on our
// worker process: plan, lock, `rclone sync` into the mirror with the day's increment, every copied
// original hashed against its name, the mirror checked against the database, manifest, retention.
// The yardstick is what an operator's careful cron script would run: the same `rclone sync`
// command line (with `--backup-dir`) into a fresh directory, then the copied originals hashed and
// the copy flushed, as ours does; and again after the change. The increment after a
// day's change of 1 % must cost ≤ 0.1 × our own first copy: what has not changed is listed, not
// re-read.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { startS3Server, type S3Server } from '../../local/s3-server.js';
import type { BackupResult } from '../../core/backup-result.js';
import { contentHashOf, layout } from '../../repository/layout.js';
import { RCLONE_COMMON, rcloneEvent, rcloneProbeArgs, rcloneRemoteEnv, rcloneSyncArgs } from '../../core/s3-source.js';
import { replaceImages } from '../../fixtures/promptbox.js';
import { configureSource, startWorkerProcess, type BenchServices, type Source } from '../lib/environment.js';
import { inTurn, shortRunReps, timed, timedAfterSync } from '../lib/measure.js';
import { floorOf, ratio, seconds, stepBreakdown, type Row } from '../lib/row.js';
import { imageBackup } from '../lib/runs.js';

const BUCKET = 'promptbox';
/** The rclone remote of the benchmark's own commands (upload, change, checks), defined in their environment. */
const REMOTE = 'bench';
const bucketPath = `${REMOTE}:${BUCKET}`;

type Rclone = (args: string[]) => Promise<{ stdout: string }>;

const rcloneFor = (server: S3Server): Rclone => (args) => execa('rclone', args, { env: server.rcloneEnv(REMOTE), extendEnv: false });

/**
 * The yardstick: what a careful cron script does with our own `rclone sync` command line
 * (core/s3-source.ts: flags, JSON log, remote in the environment) into `dest`, keeping what it
 * replaces in `backupDir`; then the same durable work as our image step: every original it copied
 * hashed against its name (sha256sum, after the copy), and the copy and `backupDir` flushed (one
 * syncfs, `sync -f`).
 */
async function yardstickSync(server: S3Server, dest: string, backupDir: string, logFile: string): Promise<void> {
  const place = { endpoint: server.endpoint, bucket: BUCKET };
  const env = rcloneRemoteEnv(process.env, place, { accessKey: server.accessKey, secretKey: server.secretKey });
  await rm(logFile, { force: true }); // rclone appends: this run's lines only
  await execa('rclone', rcloneSyncArgs(place, dest, backupDir, [], logFile), { env, extendEnv: false });
  const copied = (await readFile(logFile, 'utf8'))
    .split('\n')
    .map(rcloneEvent)
    .flatMap((e) => (e?.kind === 'copied' && contentHashOf(e.object) ? [e.object] : []));
  if (copied.length) await execa('xargs', ['-r', '-d', '\n', 'sha256sum'], { cwd: dest, input: copied.join('\n'), stdout: 'ignore' });
  // On a first copy nothing was replaced, and rclone made no backupDir.
  await execa('sync', ['--file-system', dest, ...(existsSync(backupDir) ? [backupDir] : [])]);
}

/**
 * What our image step runs before its sync and the yardstick does not: the probe that refuses an
 * empty bucket or prefix (which a sync would turn into an empty mirror) and tells wrong keys and a
 * missing bucket apart, with our own command line: a second start of rclone.
 */
async function probe(server: S3Server): Promise<void> {
  const place = { endpoint: server.endpoint, bucket: BUCKET };
  const env = rcloneRemoteEnv(process.env, place, { accessKey: server.accessKey, secretKey: server.secretKey });
  await execa('rclone', rcloneProbeArgs(place), { env, extendEnv: false, stdout: 'ignore', stderr: 'ignore' });
}

/** A source reading the bucket with keys in 0600 files, as a deployment names them. */
async function bucketSource(s: BenchServices, main: Source, server: S3Server, dir: string): Promise<Source> {
  const keys = join(dir, 'keys');
  await mkdir(keys, { recursive: true, mode: 0o700 });
  await writeFile(join(keys, 'access'), `${server.accessKey}\n`, { mode: 0o600 });
  await writeFile(join(keys, 'secret'), `${server.secretKey}\n`, { mode: 0o600 });
  return configureSource(s, 'bucket', main.fixture, {
    s3: { endpoint: server.endpoint, bucket: BUCKET, accessKey: { file: join(keys, 'access') }, secretKey: { file: join(keys, 'secret') } },
  });
}

/**
 * A day's change: 1 % of the originals replaced in the main source (rows and files), and the
 * bucket made equal to it through rclone, so the new objects arrive and the gone ones are deleted.
 * Names are content hashes: equal sizes mean equal objects.
 */
async function changeOnePercent(s: BenchServices, main: Source, bucket: Source, rclone: Rclone, seed: number): Promise<number> {
  const changed = Math.max(1, Math.round(main.fixture.images.length / 100));
  const fixture = await replaceImages(main.fixture, s.cluster, changed, seed);
  for (const source of [main, bucket]) source.fixture = fixture;
  await rclone(['sync', ...RCLONE_COMMON, '--size-only', '--', fixture.storageRoot, bucketPath]);
  return changed;
}

/** Changes `main`'s fixture (1 % of its originals per repetition); its repository is not touched. */
export async function s3ImageScenarios(s: BenchServices, main: Source, reps: number, oneActivityMs: number): Promise<Row[]> {
  const dir = join(s.dir, 'bucket');
  const server = await startS3Server(join(dir, 's3'));
  try {
    const rclone = rcloneFor(server);
    await server.createBucket(BUCKET);
    await rclone(['copy', ...RCLONE_COMMON, '--', main.fixture.storageRoot, bucketPath]);
    const { count: objects, bytes } = JSON.parse((await rclone(['size', ...RCLONE_COMMON, '--json', bucketPath])).stdout) as { count: number; bytes: number };
    const source = await bucketSource(s, main, server, dir);
    const worker = await startWorkerProcess(source);
    try {
      const repo = source.config.repository.root;
      const yard = join(dir, 'rclone-copy');
      const yardCurrent = join(yard, 'current');
      const yardLog = join(dir, 'rclone-yardstick.log');

      // Best of `reps` for each side, alternating and each side first in turn, so both see the
      // same machine state; the last copy of each is the one the increments build on.
      let oursFirstMs = Infinity;
      let rcloneFirstMs = Infinity;
      const oursFirst = async () => void (oursFirstMs = Math.min(oursFirstMs, (await timedAfterSync(() => imageBackup(s.client, source))).ms));
      const rcloneFirst = async () => void (rcloneFirstMs = Math.min(rcloneFirstMs, (await timedAfterSync(() => yardstickSync(server, yardCurrent, join(yard, 'increment-first'), yardLog))).ms));
      for (let i = 0; i < reps; i += 1) {
        await rm(repo, { recursive: true, force: true });
        await rm(yard, { recursive: true, force: true });
        await inTurn(i, oursFirst, rcloneFirst);
      }

      let oursIncMs = Infinity;
      let rcloneIncMs = Infinity;
      let changed = 0;
      let best: BackupResult | undefined;
      for (let i = 0; i < shortRunReps(reps); i += 1) {
        changed = await changeOnePercent(s, main, source, rclone, 200 + i);
        const yardstick = async () => void (rcloneIncMs = Math.min(rcloneIncMs, (await timedAfterSync(() => yardstickSync(server, yardCurrent, join(yard, `increment-${i}`), yardLog))).ms));
        const ours = async () => {
          const run = await timedAfterSync(() => imageBackup(s.client, source));
          if (run.ms < oursIncMs) [oursIncMs, best] = [run.ms, run.value];
        };
        await inTurn(i, yardstick, ours);
      }
      let probeMs = Infinity;
      for (let i = 0; i < shortRunReps(reps); i += 1) probeMs = Math.min(probeMs, (await timed(() => probe(server))).ms);
      // Both sides must have done the work they were timed for: a copy equal to the bucket.
      for (const copy of [join(repo, layout.imagesCurrent), yardCurrent]) await rclone(['check', ...RCLONE_COMMON, '--', bucketPath, copy]);
      const copied = best?.images?.transferred ?? 0;
      const kept = best?.images?.movedToIncrement ?? 0;
      const floor = floorOf(rcloneIncMs, oneActivityMs, oursFirstMs);
      const probedFloor = floorOf(rcloneIncMs + probeMs, oneActivityMs, oursFirstMs);
      return [
        {
          scenario: `image backup from a bucket, first copy (${objects} originals and thumbnails, ${(bytes / 1e6).toFixed(0)} MB, through the S3 API)`,
          ours: seconds(oursFirstMs),
          baseline: `${seconds(rcloneFirstMs)} rclone sync, same flags, then sha256sum of the copied originals and sync -f`,
          result: ratio(oursFirstMs / rcloneFirstMs),
          target: '≤ 1.1 ×',
          met: oursFirstMs / rcloneFirstMs <= 1.1,
          data: { oursMs: oursFirstMs, rcloneMs: rcloneFirstMs, objects, bytes },
        },
        {
          scenario: `image increment from a bucket after 1 % change (${changed} of ${main.fixture.images.length} originals replaced, with their thumbnails; ${copied} copied, ${kept} kept in the increment)`,
          ours: `${seconds(oursIncMs)} (${stepBreakdown(best!, oursIncMs)})`,
          baseline: `${seconds(oursFirstMs)} our first copy; the yardstick (rclone sync --backup-dir, sha256sum, sync -f) ${seconds(rcloneIncMs)} = ${ratio(rcloneIncMs / rcloneFirstMs)} its first; against our first copy, ${floor.text}; adding the empty-source probe our step runs before its sync (rclone lsjson --max-depth=1: ${seconds(probeMs)}), ${probedFloor.floorText}`,
          result: probedFloor.result(oursIncMs / oursFirstMs, 0.1),
          target: '≤ 0.10 × our first copy',
          met: oursIncMs / oursFirstMs <= 0.1,
          data: { oursMs: oursIncMs, oursFirstMs, rcloneMs: rcloneIncMs, rcloneFirstMs, changed, copied, oneActivityMs, probeMs },
        },
      ];
    } finally {
      await worker.stop();
    }
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
