// restic (Debian's package) backing up and checking the same storage root (originals and
// thumbnails), beside our first image backup of it and our integrity check. The work is not the
// same, and the rows say how it differs: restic chunks, deduplicates, encrypts and authenticates
// every blob and fsyncs every pack, and every command first opens the repository through a key
// derivation tuned to take up to 0.5 s; our mirror is plaintext (each copied original hashed
// against its name, the mirror checked against the database, one syncfs), and our check hashes
// plaintext and decrypts only the dumps. restic gets the setting that brings it closest to ours
// (repository format 2 with --compression off: no compression pass), each side runs `reps` times
// and its best counts. So no "ours faster" target: that holds only for the same work.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { BenchServices, Source } from '../lib/environment.js';
import { timed, timedAfterSync } from '../lib/measure.js';
import { ratio, seconds, type Row } from '../lib/row.js';

/** Our side, each the best of `reps` runs measured by the scenarios before this one. */
export interface OursForRestic {
  imagesMs: number;
  checkMs: number;
}

export async function resticComparison(s: BenchServices, source: Source, ours: OursForRestic, reps: number): Promise<Row[]> {
  const repo = join(s.dir, 'restic-repo');
  const cache = join(s.dir, 'restic-cache');
  await mkdir(cache, { recursive: true });
  const env = { RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: source.passphraseFile, RESTIC_CACHE_DIR: cache };
  const restic = (args: string[]) => execa('restic', ['--quiet', ...args], { env, stdout: 'ignore' });
  const storage = source.fixture.storageRoot;

  let backupMs = Infinity;
  for (let i = 0; i < reps; i += 1) {
    await rm(repo, { recursive: true, force: true });
    await restic(['init', '--repository-version', '2']);
    backupMs = Math.min(backupMs, (await timedAfterSync(() => restic(['backup', '--compression', 'off', storage]))).ms);
  }
  let checkMs = Infinity;
  for (let i = 0; i < reps; i += 1) checkMs = Math.min(checkMs, (await timedAfterSync(() => restic(['check', '--read-data']))).ms);
  // What opening the repository costs every command: the key derivation, and reading the index.
  const openMs = (await timed(() => restic(['cat', 'config']))).ms;
  await rm(repo, { recursive: true, force: true });
  const open = `${seconds(openMs)} of it opening the repository`;
  return [
    {
      scenario: 'restic backup of the same originals and thumbnails vs our first image backup of them (different work: restic encrypts, ours is a plaintext mirror)',
      ours: `${seconds(ours.imagesMs)} (rsync into the plaintext mirror, originals hashed against their names, mirror checked against the database, one syncfs)`,
      baseline: `${seconds(backupMs)} restic backup --compression off (chunks, deduplicates, encrypts and MACs every blob, fsyncs every pack; ${open})`,
      result: ratio(ours.imagesMs / backupMs),
      target: 'report',
      met: undefined,
      data: { oursMs: ours.imagesMs, resticMs: backupMs, resticOpenMs: openMs },
    },
    {
      scenario: 'restic check --read-data vs our integrity check (different work: restic decrypts and authenticates every blob, ours hashes the plaintext mirror and decrypts only the dumps)',
      ours: `${seconds(ours.checkMs)} (every mirrored file hashed, every dump decrypted and listed)`,
      baseline: `${seconds(checkMs)} restic check --read-data (every pack read, every blob decrypted and authenticated; ${open})`,
      result: ratio(ours.checkMs / checkMs),
      target: 'report',
      met: undefined,
      data: { oursMs: ours.checkMs, resticMs: checkMs, resticOpenMs: openMs },
    },
  ];
}
