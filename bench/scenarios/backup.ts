// Full backup against a bash script doing the same work with the same tools; the scheduled image
// increment after a day's change of 1 % of the originals against the first image backup (which
// copies everything), with the raw tools doing the same increment beside it; and the full backup
// after such a change, whose dump is always whole.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { postgresBinDir } from '../../local/postgres-cluster.js';
import { replaceImages } from '../../fixtures/promptbox.js';
import { receivedFile, rsyncArgs } from '../../activities/rsync.js';
import { contentHashOf, layout } from '../../repository/layout.js';
import type { BenchServices, Source } from '../lib/environment.js';
import type { BackupResult } from '../../core/backup-result.js';
import { inTurn, keepPeaks, peakRssDuring, shortRunReps, timedAfterSync, timedFromSameCache } from '../lib/measure.js';
import { floorOf, ratio, seconds, stepBreakdown, type Row } from '../lib/row.js';
import { fullBackup, imageBackup } from '../lib/runs.js';

const SCRIPT = fileURLToPath(new URL('../baseline-backup.sh', import.meta.url));

/** The script into an empty repository (deleted before, untimed, as ours is), with a GnuPG home it keeps. */
async function scriptBackup(s: BenchServices, source: Source, repo: string): Promise<number> {
  const db = source.fixture.database;
  await rm(repo, { recursive: true, force: true });
  const gnupg = join(s.dir, 'script-gnupg');
  const run = await timedFromSameCache([source.fixture.storageRoot], () =>
    execa('bash', [SCRIPT, repo, source.fixture.storageRoot, source.passphraseFile, gnupg, source.fixture.envFile, source.fixture.composeFile], {
      // pg_dump of the server's own version first on PATH: an older one refuses the server.
      env: { PATH: `${postgresBinDir(s.cluster.major)}:${process.env.PATH}`, PGHOST: db.host, PGPORT: String(db.port), PGUSER: db.user, PGDATABASE: db.name, PGPASSWORD: db.password },
    }),
  );
  return run.ms;
}

/** The image step's rsync, as it runs, with nothing to copy: --dry-run over the mirror it just updated. */
async function rsyncScan(source: Source, repo: string): Promise<void> {
  const mirror = join(repo, layout.imagesCurrent);
  const tempDir = await mkdtemp(join(repo, '.scan-'));
  try {
    await execa('rsync', ['--dry-run', ...rsyncArgs(source.fixture.storageRoot, mirror, join(tempDir, 'moved'), source.config.source.storage.excludes, tempDir)], { stdout: 'ignore' });
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}

/**
 * The increment's yardstick: what a careful cron script does for the same increment with the raw
 * tools. Our image step's rsync command line into `copy`, the mirror as it was before the change,
 * then the same durable work as the step: the originals it copied hashed against their names
 * (sha256sum) and the copy and what was moved aside flushed (one syncfs, `sync -f`).
 */
async function rawIncrement(source: Source, copy: string, movedAside: string, tempDir: string): Promise<void> {
  const { stdout } = await execa('rsync', rsyncArgs(source.fixture.storageRoot, copy, movedAside, source.config.source.storage.excludes, tempDir));
  const copied = stdout.split('\n').flatMap((line) => {
    const file = receivedFile(line);
    return file !== undefined && contentHashOf(file) ? [file] : [];
  });
  if (copied.length) await execa('xargs', ['-r', '-d', '\n', 'sha256sum'], { cwd: copy, input: copied.join('\n'), stdout: 'ignore' });
  await execa('sync', ['--file-system', copy, movedAside]);
}

/**
 * A copy of the mirror as it is now, for `rawIncrement`, made untimed: hard links, since rsync
 * replaces a file by renaming a new one over it and moves the old one aside, never writing into
 * it, so neither side's run changes what the other reads.
 */
async function mirrorCopy(repo: string, dir: string): Promise<{ copy: string; movedAside: string; tempDir: string }> {
  await rm(dir, { recursive: true, force: true });
  const paths = { copy: join(dir, 'mirror'), movedAside: join(dir, 'moved'), tempDir: join(dir, 'tmp') };
  await mkdir(dir, { recursive: true });
  await execa('cp', ['-al', join(repo, layout.imagesCurrent), paths.copy]);
  await mkdir(paths.movedAside);
  await mkdir(paths.tempDir);
  return paths;
}

export const dumpBytesOf = (result: BackupResult) => result.artifacts.find((a) => a.kind === 'dump')?.plaintextBytes;

/** A day's change: 1 % of the originals deleted, as many new ones imported. */
async function changeOnePercent(s: BenchServices, source: Source, seed: number): Promise<number> {
  const changed = Math.max(1, Math.round(source.fixture.images.length / 100));
  source.fixture = await replaceImages(source.fixture, s.cluster, changed, seed);
  return changed;
}

export interface BackupFigures {
  fullMs: number;
  /** The first image backup, best of `reps`: every original copied, hashed and checked against the database. */
  firstImagesMs: number;
  peakRssMb: number;
  childrenMb: Record<string, number>;
  /** Plaintext bytes of the full backup's dump. */
  dumpBytes: number | undefined;
  rows: Row[];
}

/**
 * Every side runs `reps` times and its best time counts; before each timed run its repository is
 * deleted and every run starts from the same page cache (bench/lib/measure.ts), untimed, so each
 * side pays for its own writes only. Leaves the source's repository holding verified full
 * backups, for the scenarios after it.
 */
export async function backupScenarios(s: BenchServices, source: Source, workerPid: number, reps: number, oneActivityMs: number): Promise<BackupFigures> {
  const repo = source.config.repository.root;
  const sameStart = <T>(run: () => Promise<T>) => timedFromSameCache([source.fixture.storageRoot], run);

  let firstImagesMs = Infinity;
  for (let i = 0; i < reps; i += 1) {
    await rm(repo, { recursive: true, force: true });
    firstImagesMs = Math.min(firstImagesMs, (await sameStart(() => imageBackup(s.client, source))).ms);
  }
  let incrementalMs = Infinity;
  let rawMs = Infinity;
  let changed = 0;
  let incremental: BackupResult | undefined;
  const yardstickDir = join(s.dir, 'increment-yardstick');
  const incrementReps = shortRunReps(reps);
  for (let i = 0; i < incrementReps; i += 1) {
    const yard = await mirrorCopy(repo, yardstickDir);
    changed = await changeOnePercent(s, source, 98 + i);
    // Increments run every few minutes, from a page cache that holds the mirror's directories: not
    // dropped here (dropped, the scan of 4000 names read them from disk, 0.2 s more).
    const ours = async () => {
      const run = await timedAfterSync(() => imageBackup(s.client, source));
      if (run.ms < incrementalMs) [incrementalMs, incremental] = [run.ms, run.value];
    };
    const raw = async () => void (rawMs = Math.min(rawMs, (await timedAfterSync(() => rawIncrement(source, yard.copy, yard.movedAside, yard.tempDir))).ms));
    await inTurn(i, ours, raw);
  }
  await rm(yardstickDir, { recursive: true, force: true });

  // What every increment pays however little changed: rsync's own pass over the unchanged tree.
  let scanMs = Infinity;
  for (let i = 0; i < incrementReps; i += 1) scanMs = Math.min(scanMs, (await timedAfterSync(() => rsyncScan(source, repo))).ms);

  // Alternating, and each side first in turn, so both see the same machine state.
  let scriptMs = Infinity;
  let fullMs = Infinity;
  let peakRssMb = 0;
  let dumpBytes: number | undefined;
  let bestFull: BackupResult | undefined;
  const childrenMb: Record<string, number> = {};
  const scriptRepo = join(s.dir, 'script-repo');
  const script = async () => void (scriptMs = Math.min(scriptMs, await scriptBackup(s, source, scriptRepo)));
  const ours = async () => {
    await rm(repo, { recursive: true, force: true });
    const run = await peakRssDuring(workerPid, () => sameStart(() => fullBackup(s.client, source)));
    if (run.value.ms < fullMs) [fullMs, bestFull] = [run.value.ms, run.value.value];
    peakRssMb = Math.max(peakRssMb, run.peakMb);
    keepPeaks(childrenMb, run.childrenMb);
    dumpBytes = dumpBytesOf(run.value.value);
  };
  for (let i = 0; i < reps; i += 1) {
    await inTurn(i, script, ours);
  }
  await rm(scriptRepo, { recursive: true, force: true });

  await changeOnePercent(s, source, 98 + incrementReps); // a seed no increment used: other images
  const secondFull = await sameStart(() => fullBackup(s.client, source));
  const copied = (r: { images?: { transferred: number } } | undefined) => r?.images?.transferred ?? 0;
  const floor = floorOf(rawMs, oneActivityMs, firstImagesMs);
  return {
    fullMs,
    firstImagesMs,
    peakRssMb,
    childrenMb,
    dumpBytes,
    rows: [
      {
        scenario: 'full backup workflow (dump, images, config, encrypt, verify)',
        ours: `${seconds(fullMs)} (${stepBreakdown(bestFull!, fullMs)})`,
        baseline: `${seconds(scriptMs)} bash script, same tools, same flushes, same gpg home kept`,
        result: ratio(fullMs / scriptMs),
        target: '≤ 1.05 ×',
        met: fullMs / scriptMs <= 1.05,
        data: { oursMs: fullMs, scriptMs },
      },
      {
        scenario: `incremental image backup after replacing 1 % of originals (${changed} out, ${changed} in; ${copied(incremental)} copied)`,
        ours: `${seconds(incrementalMs)} (${stepBreakdown(incremental!, incrementalMs)})`,
        baseline: `${seconds(firstImagesMs)} first image backup; the raw tools doing the same increment (rsync, sha256sum of the copied originals, sync -f) ${seconds(rawMs)} (${ratio(rawMs / firstImagesMs)}); rsync's pass over the unchanged tree alone ${seconds(scanMs)} (${ratio(scanMs / firstImagesMs)}); ${floor.text}`,
        result: floor.result(incrementalMs / firstImagesMs, 0.1),
        target: '≤ 0.10 ×',
        met: incrementalMs / firstImagesMs <= 0.1,
        data: { incrementalMs, firstMs: firstImagesMs, changed, rawMs, scanMs, oneActivityMs },
      },
      {
        scenario: `full backup after the same change (the dump is whole every day; ${copied(secondFull.value)} originals copied)`,
        ours: seconds(secondFull.ms),
        baseline: `${seconds(fullMs)} first full backup`,
        result: ratio(secondFull.ms / fullMs),
        target: 'report',
        met: undefined,
        data: { secondMs: secondFull.ms, fullMs },
      },
    ],
  };
}
