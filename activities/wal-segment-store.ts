// The archive's side of WAL: a file pg_receivewal completed is checksummed, encrypted when the
// repository is, moved durably into wal/segments/ and recorded in wal/index.jsonl, then removed
// from pg_receivewal's directory. Every step is safe to repeat, so a worker lost halfway leaves a
// file the next attempt archives again. For a recovery it stages the plaintext WAL back, each
// file checked against the sha256 recorded when it was archived.
import { copyFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandRunner } from './command.js';
import type { Config } from '../config/schema.js';
import { commitFile, ensureDir, temporaryNameFor } from '../repository/fs-durable.js';
import { classifyGpgError, encryptFile, gpgBaseArgs } from '../repository/gpg.js';
import { layout } from '../repository/layout.js';
import { appendWalIndex, readWalIndex, rewriteWalIndex, type ArchivedWal } from '../repository/wal-index.js';
import { compareSegments, isHistoryName, isSegmentName, parseSegmentName, partialSegmentOf } from '../core/wal-segments.js';
import { walExpired, type WalRetention } from '../core/wal-retention.js';
import { fail } from './failure.js';
import { sha256File } from './hash.js';

/** WAL files pg_receivewal has completed: segments and timeline history files, not the `.partial`. */
export async function completedIncoming(root: string): Promise<string[]> {
  const names = await readdir(join(root, layout.wal.incoming)).catch(() => []);
  return names.filter((n) => isSegmentName(n) || isHistoryName(n)).sort(compareSegments);
}

/** The segment pg_receivewal is writing, and when it last wrote to it. */
export async function partialIncoming(root: string): Promise<{ name: string; segment: string; writtenAt: string } | undefined> {
  const names = (await readdir(join(root, layout.wal.incoming)).catch(() => [])).filter((n) => partialSegmentOf(n));
  const newest = names.sort((a, b) => compareSegments(partialSegmentOf(a)!, partialSegmentOf(b)!)).pop();
  if (!newest) return undefined;
  const { mtime } = await stat(join(root, layout.wal.incoming, newest));
  return { name: newest, segment: partialSegmentOf(newest)!, writtenAt: mtime.toISOString() };
}

export function createWalStore(config: Config, commands: CommandRunner) {
  const root = config.repository.root;
  const passphraseFile = config.encryption.enabled ? config.encryption.passphraseFile : undefined;

  async function decryptFile(src: string, dst: string): Promise<void> {
    await commands.run('gpg', [...gpgBaseArgs(passphraseFile!), '--decrypt', '--output', dst, src], { classify: classifyGpgError });
  }

  return {
    /** Archives one completed file of incoming/ (see the module comment for the order). */
    async archive(name: string): Promise<ArchivedWal> {
      const source = join(root, layout.wal.incoming, name);
      const encrypted = passphraseFile !== undefined;
      const target = join(root, layout.wal.segment(name, encrypted));
      await ensureDir(join(root, layout.wal.segmentsDir));
      const { sha256, bytes } = await sha256File(source);
      const tmp = temporaryNameFor(target);
      if (passphraseFile) await encryptFile(commands, passphraseFile, source, tmp);
      else await copyFile(source, tmp);
      await commitFile(tmp, target);
      const record: ArchivedWal = { name, sha256, bytes, encrypted, archivedAt: new Date().toISOString() };
      await appendWalIndex(root, record);
      await rm(source);
      return record;
    },

    /**
     * Removes the archived WAL no kept base backup needs (core/wal-retention.ts): out of the index
     * first, so the index never names a file that is gone, then the files. Only the archiver calls
     * it, at the start of an attempt: the index has one writer at a time.
     */
    async prune(retention: Pick<WalRetention, 'keepFrom' | 'keepRanges'>): Promise<number> {
      await rewriteWalIndex(root, (record) => !walExpired(record.name, retention));
      let removed = 0;
      for (const file of await readdir(join(root, layout.wal.segmentsDir)).catch(() => [])) {
        if (!walExpired(file.replace(/\.gpg$/, ''), retention)) continue;
        await rm(join(root, layout.wal.segmentsDir, file), { force: true });
        removed += 1;
      }
      return removed;
    },

    /**
     * Stages, in `dir`, every archived segment from `fromSegment` on (any timeline) and every
     * history file, in plaintext and checked; then what is still in incoming/: completed files
     * not archived yet, and the segment pg_receivewal was writing, as `<segment>.partial`, when
     * nothing staged has its name. Returns what it staged.
     */
    async stage(dir: string, fromSegment: string): Promise<{ segments: string[]; partial?: string }> {
      const from = parseSegmentName(fromSegment)!.number;
      // A `.partial` in the archive is one the source could not continue (a gap follows it).
      const position = (name: string) => parseSegmentName(partialSegmentOf(name) ?? name)?.number ?? -1n;
      const records = [...(await readWalIndex(root)).records.values()].filter((r) => isHistoryName(r.name) || position(r.name) >= from);
      await ensureDir(dir);
      const staged: string[] = [];
      for (const record of records.sort((a, b) => compareSegments(a.name, b.name))) {
        const file = join(root, layout.wal.segment(record.name, record.encrypted));
        const out = join(dir, record.name);
        if (record.encrypted) await decryptFile(file, out);
        else await copyFile(file, out);
        const { sha256 } = await sha256File(out);
        if (sha256 !== record.sha256) throw fail('VerificationFailed', `${layout.wal.segment(record.name, record.encrypted)}: sha256 ${sha256} differs from the index's ${record.sha256}`);
        staged.push(record.name);
      }
      // Completed by a receiver whose archiver was lost before archiving them: as good as the partial.
      for (const name of await completedIncoming(root)) {
        if (staged.includes(name) || (isSegmentName(name) && parseSegmentName(name)!.number < from)) continue;
        await copyFile(join(root, layout.wal.incoming, name), join(dir, name));
        staged.push(name);
      }
      const partial = await partialIncoming(root);
      if (partial && !staged.includes(partial.segment) && position(partial.segment) >= from) {
        await copyFile(join(root, layout.wal.incoming, partial.name), join(dir, `${partial.segment}.partial`));
        return { segments: staged, partial: partial.segment };
      }
      return { segments: staged };
    },
  };
}
