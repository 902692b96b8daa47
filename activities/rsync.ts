// The incremental image backup of a directory source (a bucket: activities/s3-sync.ts), as the backup doc does it: rsync mirrors the originals into
// images/current with --delete, and every file that run replaces or deletes is moved aside
// (--backup --backup-dir) into the run's pending folder, then settled into
// images/incremental/<yyyymmdd> (activities/image-increments.ts: several runs a day never
// overwrite what an earlier one kept). The step ends with what it wrote flushed to disk: the
// manifest that follows vouches for the mirror.
import { readdir } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { addName, noNames } from '../core/bounded-names.js';
import { emptySourceRefusal } from '../core/empty-source.js';
import type { VerificationCheck } from '../core/manifest.js';
import { contentHashOf, layout } from '../repository/layout.js';
import type { ActivityDeps } from './deps.js';
import { ensureDir, exists } from '../repository/fs-durable.js';
import { fail } from './failure.js';
import { sha256File } from './hash.js';
import { hasAnyFile } from './dir-tally.js';
import { withHeartbeat } from './heartbeat.js';
import { FILE_PARALLELISM, inPool } from './pool.js';
import { settlePendingIncrements } from './image-increments.js';
import { startMirrorCheck } from './mirror-check.js';
import { syncImagesFromBucket } from './s3-sync.js';
import type { HeartbeatProgress } from '../core/progress.js';

export interface ImageSyncResult {
  mirror: string;
  increment: string;
  files: number;
  bytes: number;
  transferred: number;
  movedToIncrement: number;
  /** Copied files whose content does not hash to their content-addressed name: the first ones (core/bounded-names.ts). */
  nameHashMismatches: string[];
  /** How many there were in all (absent from results recorded before the count). */
  nameHashMismatchCount?: number;
  /** The mirror checked against the database, when the run asked the image step for it. */
  mirrorCheck?: VerificationCheck;
}

export interface ImageSyncInput {
  backupId: string;
  /** Check the mirror against the database's rows here (absent in runs recorded before: verify did). */
  checkMirror?: boolean;
}

/** rsync's --stats numbers ("Number of files: 1,234 (reg: ...)"), by label. */
export function parseRsyncStats(text: string): Record<string, number> {
  const stats: Record<string, number> = {};
  for (const m of text.matchAll(/^([A-Za-z][A-Za-z ]+): ([\d,]+)/gm)) {
    stats[(m[1] as string).trim()] = Number((m[2] as string).replaceAll(',', ''));
  }
  const regular = /^Number of files: [\d,]+ \(reg: ([\d,]+)/m.exec(text);
  if (regular) stats['Number of regular files'] = Number((regular[1] as string).replaceAll(',', ''));
  return stats;
}

export function rsyncArgs(source: string, mirror: string, backupDir: string, excludes: string[], tempDir: string): string[] {
  return [
    '--archive',
    '--delete',
    '--backup',
    `--backup-dir=${backupDir}`,
    // Half-copied files live in the run's staging area, never in the mirror: a killed rsync's
    // leftovers are not mistaken for originals (nor moved into the increment by --delete).
    `--temp-dir=${tempDir}`,
    // Repository invariant: directories 0700, files 0600, whatever the source's modes.
    '--chmod=D0700,F0600',
    // Holes stay holes: a sparse file (a VM image, a preallocated upload) takes no more room in
    // the mirror than in the source. Local copies are whole-file, so every hole is kept.
    '--sparse',
    ...excludes.map((pattern) => `--exclude=${pattern}`),
    '--stats',
    '--out-format=%i %n',
    `${source.replace(/\/+$/, '')}/`,
    `${mirror}/`,
  ];
}

/**
 * The file a line of `--out-format=%i %n` says rsync copied (its 11-character itemized change,
 * a space, then the name), or undefined for any other line: `>f` is a file received.
 */
export function receivedFile(line: string): string | undefined {
  return line.startsWith('>f') ? line.slice(12) : undefined;
}

/**
 * Flushes the mirror and the increment before the manifest vouches for them: `sync -f` is one
 * syncfs(2) per path, which commits every file rsync wrote, renamed or moved there, and their
 * directories, in one journal commit. An fsync per file would cost one commit per file (tens of
 * thousands on a first backup) and still leave the renames in the directories to fsync. syncfs
 * also flushes other writers' data on that file system: the backup disk's, rarely anyone else's.
 * Since Linux 5.8 it reports write-back errors, so a failed flush fails the step.
 */
export function flushArgs(mirror: string, increment: string): string[] {
  return ['--file-system', mirror, increment];
}

export function createRsyncActivities(deps: ActivityDeps) {
  const { config, commands, logger } = deps;
  const root = config.repository.root;

  return {
    async syncImages(input: ImageSyncInput): Promise<ImageSyncResult> {
      const storage = config.source.storage;
      if ('s3' in storage) return syncImagesFromBucket(deps, storage.s3, input);
      const source = storage.root;
      if (!(await exists(source))) throw fail('SourceMissing', `source.storage.root ${source} does not exist`);
      const mirror = join(root, layout.imagesCurrent);
      const increment = join(root, layout.imagesIncrement(input.backupId));
      const refusal = emptySourceRefusal({ field: 'source.storage.root', where: `directory ${source}` }, (await readdir(source)).length, await hasAnyFile(mirror));
      if (refusal) throw fail('SourceMissing', refusal);
      await ensureDir(mirror);
      await ensureDir(join(root, layout.imagesIncrementsDir));
      await ensureDir(increment);
      // What a run that died before settling left goes first, so nothing can overwrite it.
      await settlePendingIncrements(root);
      const pending = join(root, layout.imagesIncrementPending(input.backupId));
      // rsync creates a missing --backup-dir with the umask's mode (0755), not the repository's.
      await ensureDir(pending);
      const tempDir = join(root, layout.stagedRsyncTemp(input.backupId));
      await ensureDir(tempDir);

      const copied: string[] = [];
      let seen = 0;
      let moved = 0;
      let hashed = 0;
      const mismatches = noNames();
      const stdoutTail: string[] = [];
      let mirrorCheck: VerificationCheck | undefined;
      await withHeartbeat(
        (): HeartbeatProgress & { itemsSeen: number; hashed: number } => ({ step: 'images', filesDone: copied.length, itemsSeen: seen, hashed }),
        async () => {
          const checking = input.checkMirror ? startMirrorCheck(deps) : undefined;
          const { child, finish } = commands.spawn('rsync', rsyncArgs(source, mirror, pending, config.source.storage.excludes, tempDir), {
            okExitCodes: [24], // "some files vanished before they could be transferred": the app deleted them meanwhile
          });
          for await (const line of createInterface({ input: child.stdout! })) {
            seen += 1;
            const received = receivedFile(line);
            if (line.startsWith('*deleting ')) {
              if (!line.endsWith('/')) moved += 1;
            } else if (received !== undefined) {
              if (!line.slice(0, 11).includes('+++++++')) moved += 1; // replaced an existing file: old one went to the increment
              copied.push(received);
            } else if (!/^[.cdh]\S{10} /.test(line)) {
              stdoutTail.push(line);
            }
          }
          await finish();
          await settlePendingIncrements(root);
          // Originals are content-addressed: a copied file must hash to its own name. The copies are
          // hashed from the page cache and the mirror is checked while the flush writes them back.
          // (Settling at the same time only slowed it: these share the worker's one thread.)
          const hashing = inPool(copied, FILE_PARALLELISM, async (rel) => {
            const expected = contentHashOf(rel);
            if (!expected) return;
            const { sha256 } = await sha256File(join(mirror, rel));
            hashed += 1;
            if (sha256 !== expected) addName(mismatches, rel);
          }).then(() => mismatches);
          [, , mirrorCheck] = await Promise.all([
            commands.run('sync', flushArgs(mirror, increment)),
            hashing,
            checking?.finish(hashing),
          ]);
        },
      );
      const stats = parseRsyncStats(stdoutTail.join('\n'));
      const result: ImageSyncResult = {
        mirror: layout.imagesCurrent,
        increment: layout.imagesIncrement(input.backupId),
        files: stats['Number of regular files'] ?? stats['Number of files'] ?? 0,
        bytes: stats['Total file size'] ?? 0,
        transferred: copied.length,
        movedToIncrement: moved,
        nameHashMismatches: mismatches.first,
        nameHashMismatchCount: mismatches.count,
        ...(mirrorCheck ? { mirrorCheck } : {}),
      };
      logger.info({ backupId: input.backupId, ...result }, 'images synced');
      return result;
    },
  };
}
