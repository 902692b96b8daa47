// Full backup against a bash script doing the same work with the same tools, then the
// incremental run after a day's change of 1 % of the originals against that first full backup.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { replaceImages } from '../../fixtures/promptbox.js';
import type { BenchServices, Source } from '../lib/environment.js';
import { peakRssDuring, timed } from '../lib/measure.js';
import { ratio, seconds, type Row } from '../lib/row.js';
import { fullBackup } from '../lib/runs.js';

const SCRIPT = fileURLToPath(new URL('../baseline-backup.sh', import.meta.url));

/** Reads every original once, so neither side pays for a cold page cache the other did not. */
export async function warmCache(source: Source): Promise<void> {
  await execa('find', [source.fixture.storageRoot, '-type', 'f', '-exec', 'cat', '{}', '+'], { stdout: 'ignore' });
}

async function scriptBackup(s: BenchServices, source: Source, repo: string): Promise<void> {
  const db = source.fixture.database;
  await rm(repo, { recursive: true, force: true });
  await execa('bash', [SCRIPT, repo, source.fixture.storageRoot, source.passphraseFile, source.fixture.envFile, source.fixture.composeFile], {
    env: { PGHOST: db.host, PGPORT: String(db.port), PGUSER: db.user, PGDATABASE: db.name, PGPASSWORD: db.password },
  });
}

export interface FullBackupFigures {
  fullMs: number;
  peakRssMb: number;
  rows: Row[];
}

/** Best of `reps` for each side, alternating so both see the same machine state. */
export async function fullAndIncremental(s: BenchServices, source: Source, workerPid: number, reps: number): Promise<FullBackupFigures> {
  await warmCache(source);
  let scriptMs = Infinity;
  let fullMs = Infinity;
  let peakRssMb = 0;
  for (let i = 0; i < reps; i += 1) {
    scriptMs = Math.min(scriptMs, (await timed(() => scriptBackup(s, source, join(s.dir, 'script-repo')))).ms);
    await rm(source.config.repository.root, { recursive: true, force: true });
    const run = await peakRssDuring(workerPid, () => timed(() => fullBackup(s.client, source)));
    fullMs = Math.min(fullMs, run.value.ms);
    peakRssMb = Math.max(peakRssMb, run.peakMb);
  }
  await rm(join(s.dir, 'script-repo'), { recursive: true, force: true });

  const changed = Math.max(1, Math.round(source.fixture.images.length / 100));
  source.fixture = await replaceImages(source.fixture, s.cluster, changed, 99);
  const incremental = await timed(() => fullBackup(s.client, source));
  const transferred = incremental.value.images?.transferred ?? 0;
  return {
    fullMs,
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
        scenario: `incremental backup after replacing 1 % of originals (${changed} out, ${changed} in; ${transferred} copied)`,
        ours: seconds(incremental.ms),
        baseline: `${seconds(fullMs)} first full backup`,
        result: ratio(incremental.ms / fullMs),
        target: '≤ 0.10 ×',
        met: incremental.ms / fullMs <= 0.1,
        data: { incrementalMs: incremental.ms, fullMs, changed, transferred },
      },
    ],
  };
}
