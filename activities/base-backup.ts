// A physical base backup of the source: pg_basebackup (the client of the server's version) in
// plain format, checked with pg_verifybackup against the manifest the server wrote (-n: the WAL
// comes from the archive, not the backup), then packed, encrypted when the repository is, and
// recorded. Its record (the WAL range it needs, when it ended) is written last, as a manifest is:
// a base backup without one is not a good one. PITR starts from the newest good one before its target.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActivityDeps } from './deps.js';
import { fail } from './failure.js';
import { withHeartbeat } from './heartbeat.js';
import { sha256File } from './hash.js';
import { classifyPgError } from './psql.js';
import { REPLICATION_CONNINFO, walSource } from './wal-source.js';
import { writeBaseBackupRecord, type BaseBackupRecord } from '../repository/base-backups.js';
import { commitFile, ensureDir } from '../repository/fs-durable.js';
import { encryptFile } from '../repository/gpg.js';
import { backupIdFor, layout } from '../repository/layout.js';
import { parseLsn, segmentForLsn } from '../core/wal-segments.js';

interface WalRange {
  Timeline: number;
  'Start-LSN': string;
  'End-LSN': string;
}

export function createBaseBackupActivities(deps: ActivityDeps) {
  const { config, commands } = deps;
  const root = config.repository.root;

  return {
    /** Takes, verifies, packs and records one base backup. Heartbeats while the tools run. */
    async walBaseBackup(): Promise<BaseBackupRecord> {
      const source = await walSource(deps);
      const started = new Date();
      const id = backupIdFor(started);
      const staging = join(root, layout.wal.baseStaging(id));
      const data = join(staging, 'data');
      await rm(staging, { recursive: true, force: true });
      await ensureDir(staging);
      let phase = 'pg_basebackup';
      return withHeartbeat(
        () => ({ step: 'baseBackup', phase }),
        async () => {
          await commands.run(
            `${source.binDir}/pg_basebackup`,
            [...source.connArgs, `--dbname=${REPLICATION_CONNINFO}`, '-D', data, '-Fp', '-X', 'none', '--checkpoint=fast', '--manifest-checksums=SHA256', '--no-sync'],
            { env: source.env, classify: classifyPgError },
          );
          const endedAt = new Date().toISOString();
          phase = 'pg_verifybackup';
          await commands.run(`${source.binDir}/pg_verifybackup`, ['-n', '-q', data], {
            classify: (stderr) => (/error/i.test(stderr) ? 'VerificationFailed' : undefined),
          });
          const manifest = JSON.parse(await readFile(join(data, 'backup_manifest'), 'utf8')) as { 'WAL-Ranges'?: WalRange[] };
          const range = manifest['WAL-Ranges']?.[0];
          const startLsn = range ? parseLsn(range['Start-LSN']) : undefined;
          if (!range || startLsn === undefined) throw fail('VerificationFailed', `base backup ${id}: backup_manifest names no WAL range`);
          const pgMajor = Number((await readFile(join(data, 'PG_VERSION'), 'utf8')).trim());

          phase = 'pack';
          const encrypted = config.encryption.enabled;
          const file = layout.wal.baseArchive(id, encrypted);
          const packed = join(staging, 'base.tar.gz');
          await commands.run('tar', ['-czf', packed, '-C', data, '.']);
          const { sha256, bytes } = await sha256File(packed);
          const stored = config.encryption.enabled ? `${packed}.gpg` : packed;
          if (config.encryption.enabled) await encryptFile(commands, config.encryption.passphraseFile, packed, stored);
          await commitFile(stored, join(root, file));
          const record: BaseBackupRecord = {
            id,
            pgMajor,
            timeline: range.Timeline,
            startLsn: range['Start-LSN'],
            endLsn: range['End-LSN'],
            firstSegment: segmentForLsn(range.Timeline, startLsn),
            startedAt: started.toISOString(),
            endedAt,
            file,
            sha256,
            bytes,
            encrypted,
          };
          await writeBaseBackupRecord(root, record);
          await rm(staging, { recursive: true, force: true });
          return record;
        },
      );
    },
  };
}
