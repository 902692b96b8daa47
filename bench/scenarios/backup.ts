// Full backup against a bash script doing the same work with the same tools; the scheduled image
// increment after a day's change of 1 % of the originals against the first image backup (which
// copies everything); and the full backup after such a change, whose dump is always whole.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { postgresBinDir } from '../../client/local/postgres-cluster.js';
import { replaceImages } from '../../fixtures/promptbox.js';
import type { BenchServices, Source } from '../lib/environment.js';
import { peakRssDuring, timed } from '../lib/measure.js';
import { ratio, seconds, type Row } from '../lib/row.js';
import { fullBackup, imageBackup } from '../lib/runs.js';

const SCRIPT = fileURLToPath(new URL('../baseline-backup.sh', import.meta.url));

/** Reads every original once, so neither side pays for a cold page cache the other did not. */
async function warmCache(source: Source): Promise<void> {
  await execa('find', [source.fixture.storageRoot, '-type', 'f', '-exec', 'cat', '{}', '+'], { stdout: 'ignore' });
}

async function scriptBackup(s: BenchServices, source: Source, repo: string): Promise<void> {
  const db = source.fixture.database;
  await rm(repo, { recursive: true, force: true });
  await execa('bash', [SCRIPT, repo, source.fixture.storageRoot, source.passphraseFile, source.fixture.envFile, source.fixture.composeFile], {
    // pg_dump of the server's own version first on PATH: an older one refuses the server.
    env: { PATH: `${postgresBinDir(s.cluster.major)}:${process.env.PATH}`, PGHOST: db.host, PGPORT: String(db.port), PGUSER: db.user, PGDATABASE: db.name, PGPASSWORD: db.password },
  });
}

/** A day's change: 1 % of the originals deleted, as many new ones imported. */
async function changeOnePercent(s: BenchServices, source: Source, seed: number): Promise<number> {
  const changed = Math.max(1, Math.round(source.fixture.images.length / 100));
  source.fixture = await replaceImages(source.fixture, s.cluster, changed, seed);
  return changed;
}

export interface BackupFigures {
  fullMs: number;
  /** The first image backup: every original copied, hashed and checked against the database. */
  firstImagesMs: number;
  peakRssMb: number;
  rows: Row[];
}

/** Leaves the source's repository holding verified full backups, for the scenarios after it. */
export async function backupScenarios(s: BenchServices, source: Source, workerPid: number, reps: number): Promise<BackupFigures> {
  const repo = source.config.repository.root;
  await warmCache(source);

  const firstImages = await timed(() => imageBackup(s.client, source));
  const changed = await changeOnePercent(s, source, 98);
  const incrementalImages = await timed(() => imageBackup(s.client, source));
  await rm(repo, { recursive: true, force: true });

  // Best of `reps` for each side, alternating so both see the same machine state.
  let scriptMs = Infinity;
  let fullMs = Infinity;
  let peakRssMb = 0;
  const scriptRepo = join(s.dir, 'script-repo');
  for (let i = 0; i < reps; i += 1) {
    scriptMs = Math.min(scriptMs, (await timed(() => scriptBackup(s, source, scriptRepo))).ms);
    await rm(repo, { recursive: true, force: true });
    const run = await peakRssDuring(workerPid, () => timed(() => fullBackup(s.client, source)));
    fullMs = Math.min(fullMs, run.value.ms);
    peakRssMb = Math.max(peakRssMb, run.peakMb);
  }
  await rm(scriptRepo, { recursive: true, force: true });

  await changeOnePercent(s, source, 99);
  const secondFull = await timed(() => fullBackup(s.client, source));
  const copied = (r: { images?: { transferred: number } }) => r.images?.transferred ?? 0;
  return {
    fullMs,
    firstImagesMs: firstImages.ms,
    peakRssMb,
    rows: [
      {
        scenario: 'full backup workflow (dump, images, config, encrypt, verify)',
        ours: seconds(fullMs),
        baseline: `${seconds(scriptMs)} bash script, same tools`,
        result: ratio(fullMs / scriptMs),
        target: '≤ 1.05 ×',
        met: fullMs / scriptMs <= 1.05,
        data: { oursMs: fullMs, scriptMs },
      },
      {
        scenario: `incremental image backup after replacing 1 % of originals (${changed} out, ${changed} in; ${copied(incrementalImages.value)} copied)`,
        ours: seconds(incrementalImages.ms),
        baseline: `${seconds(firstImages.ms)} first image backup`,
        result: ratio(incrementalImages.ms / firstImages.ms),
        target: '≤ 0.10 ×',
        met: incrementalImages.ms / firstImages.ms <= 0.1,
        data: { incrementalMs: incrementalImages.ms, firstMs: firstImages.ms, changed },
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
