// wal/base/<id>/: the physical base backups point-in-time recovery starts from. Each one's
// record.json (the WAL range it needs, when it ended, its packed data directory) is written last,
// as a manifest is: a base backup without a record that parses is not one, and retention and
// recovery never use it.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { isSegmentName } from '../core/wal-segments.js';
import { exists, writeFileDurable } from './fs-durable.js';
import { readJsonRecord, recordText, type InvalidRecord } from './json-records.js';
import { isBackupId, layout } from './layout.js';

const lsn = z.string().regex(/^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i, 'must be an LSN like 0/3000028');
/** Recovery compares it with its target: a time it cannot read would choose a wrong backup. */
const time = z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'must be an ISO 8601 time');

export const baseBackupRecordSchema = z
  .object({
    /** `yyyymmdd_HHMMSS`, the UTC start: also the name of its folder. */
    id: z.string().refine(isBackupId, 'must be a backup id (yyyymmdd_HHMMSS)'),
    /** The server's major version: recovery needs its server binaries. */
    pgMajor: z.number().int().positive(),
    timeline: z.number().int().positive(),
    startLsn: lsn,
    endLsn: lsn,
    /** The first WAL segment recovery from this backup needs. */
    firstSegment: z.string().refine(isSegmentName, 'must be a WAL segment name'),
    startedAt: time,
    /** Recovery from this backup can reach any time after this, and none before. */
    endedAt: time,
    /** The packed data directory, relative to the repository root. */
    file: z.string(),
    /** Of the packed data directory before encryption. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().nonnegative(),
    encrypted: z.boolean(),
  })
  // Recovery reads `file`: a record must not point it anywhere but its own folder.
  .refine((r) => r.file === layout.wal.baseArchive(r.id, r.encrypted), { path: ['file'], message: 'must be the base backup\'s own base.tar.gz[.gpg]' });
export type BaseBackupRecord = z.infer<typeof baseBackupRecordSchema>;

export interface BaseBackups {
  /** Oldest first. */
  backups: BaseBackupRecord[];
  /** Base backups whose record does not parse, or names another one. */
  invalid: InvalidRecord[];
}

/** Every good base backup; a folder without a record (taken or removed when a worker was lost) is none, and not listed. */
export async function readBaseBackups(root: string): Promise<BaseBackups> {
  const out: BaseBackups = { backups: [], invalid: [] };
  const entries = await readdir(join(root, layout.wal.baseDir), { withFileTypes: true }).catch(() => []);
  for (const id of entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    const file = join(root, layout.wal.baseRecord(id));
    if (!(await exists(file))) continue;
    const read = await readJsonRecord(file, baseBackupRecordSchema);
    if (!('record' in read)) out.invalid.push({ file, reason: read.reason });
    else if (read.record.id !== id) out.invalid.push({ file, reason: `id: names base backup ${read.record.id}, in the folder of ${id}` });
    else out.backups.push(read.record);
  }
  return out;
}

/** Records a base backup whose packed data directory is in place: the last step of taking it. */
export async function writeBaseBackupRecord(root: string, record: BaseBackupRecord): Promise<void> {
  const valid = baseBackupRecordSchema.parse(record);
  await writeFileDurable(join(root, layout.wal.baseRecord(valid.id)), recordText(valid));
}

/** Deleting a base backup, first step: without its record, what is left is not a good backup. */
export async function removeBaseBackupRecord(root: string, id: string): Promise<void> {
  await rm(join(root, layout.wal.baseRecord(id)), { force: true });
}

/** Deleting a base backup, second step, once its record is gone: its packed data directory. */
export async function removeBaseBackupFiles(root: string, id: string): Promise<void> {
  await rm(join(root, layout.wal.base(id)), { recursive: true, force: true });
}
