// restic (Debian's package) backing up and checking the same storage root (originals and
// thumbnails), against our first image backup of it (every file copied, originals hashed and
// checked against the database's rows) and our integrity check (which also decrypts and lists
// every dump): ours must be faster.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { BenchServices, Source } from '../lib/environment.js';
import { timed } from '../lib/measure.js';
import { ratio, seconds, type Row } from '../lib/row.js';

export async function resticComparison(s: BenchServices, source: Source, ours: { imagesMs: number; checkMs: number }): Promise<Row[]> {
  const repo = join(s.dir, 'restic-repo');
  const cache = join(s.dir, 'restic-cache');
  await rm(repo, { recursive: true, force: true });
  await mkdir(cache, { recursive: true });
  const env = { RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: source.passphraseFile, RESTIC_CACHE_DIR: cache };
  const restic = (args: string[]) => execa('restic', ['--quiet', ...args], { env, stdout: 'ignore' });
  await restic(['init']);
  const storage = source.fixture.storageRoot;
  const backup = await timed(() => restic(['backup', storage]));
  const check = await timed(() => restic(['check', '--read-data']));
  await rm(repo, { recursive: true, force: true });
  return [
    {
      scenario: 'restic backup of the same originals and thumbnails vs our first image backup of them',
      ours: seconds(ours.imagesMs),
      baseline: `${seconds(backup.ms)} restic backup`,
      result: ratio(ours.imagesMs / backup.ms),
      target: '< 1 × (ours faster)',
      met: ours.imagesMs < backup.ms,
      data: { oursMs: ours.imagesMs, resticMs: backup.ms },
    },
    {
      scenario: 'restic check --read-data vs our integrity check (which also decrypts and lists dumps)',
      ours: seconds(ours.checkMs),
      baseline: `${seconds(check.ms)} restic check --read-data`,
      result: ratio(ours.checkMs / check.ms),
      target: '< 1 × (ours faster)',
      met: ours.checkMs < check.ms,
      data: { oursMs: ours.checkMs, resticMs: check.ms },
    },
  ];
}
