// Point-in-time recovery into a new data directory: the newest good base backup that ended before
// the target, unpacked and checked; the archived WAL from its first segment on, staged in
// plaintext and checked (so the server's restore_command is a plain copy that needs no key); the
// recovery settings (core/wal-recovery-settings.ts); then the server is started with the server
// binaries of the backup's version and watched until it promotes. Reports the exact point reached
// (the last transaction replayed) and the RPO against the target. The DR runbook recovers the same
// way into a scratch cluster it then dumps into its target (activities/dr-wal-restore.ts).
import { access, chmod, constants, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActivityDeps } from './deps.js';
import { fail } from './failure.js';
import { leaseChosen } from './backup-leases.js';
import { withHeartbeat } from './heartbeat.js';
import { sha256File } from './hash.js';
import { psqlRows } from './psql.js';
import { createWalStore } from './wal-segment-store.js';
import type { DirectDatabase } from './wal-source.js';
import { readBaseBackups, type BaseBackupRecord } from '../repository/base-backups.js';
import { ensureDir } from '../repository/fs-durable.js';
import { classifyGpgError, gpgBaseArgs } from '../repository/gpg.js';
import { layout } from '../repository/layout.js';
import { recoveryPoint, recoverySettings, restoreScript, type RecoveryTarget } from '../core/wal-recovery-settings.js';

const POLL_MS = 500;
/** Replaying to consistency can take long; the activity's own timeout is the real bound. */
const START_WAIT_S = 6 * 3600;
const STAGED_WAL = 'pitr_restore_wal';
const RESTORE_SCRIPT = 'pitr_restore_command.sh';
const SERVER_LOG = 'pitr_recovery.log';
/** What PostgreSQL 13+ logs as it stops a recovery whose WAL ends before its target time. */
const TARGET_NOT_REACHED = 'recovery ended before configured recovery target was reached';
const projectTools = fileURLToPath(new URL('../.tools', import.meta.url));

export interface PitrInput {
  /** "latest", or an ISO time with offset: the recovery stops before the first commit after it. */
  pointInTime: string;
  /** A new (or empty) directory for the recovered cluster. */
  dataDir: string;
  /** The recovered server listens on 127.0.0.1 at this port. */
  port: number;
  /** The server binaries (postgres, pg_ctl) of the backup's version; default searched like the clients. */
  serverBinDir?: string;
}

export interface PitrResult {
  baseBackup: string;
  target: string;
  /** The commit time of the last transaction replayed: what the recovered database holds up to. */
  reachedAt?: string;
  /** Target (or, for "latest", the recovery's start) minus the point reached. */
  rpoMs?: number;
  /** No archived commit is at or after the target time: all archived WAL was replayed. */
  archiveEndsBeforeTarget?: boolean;
  walSegments: number;
  partialSegment?: string;
  dataDir: string;
  port: number;
}

async function logTail(dataDir: string): Promise<string> {
  const log = await readFile(join(dataDir, SERVER_LOG), 'utf8').catch(() => '');
  return log.trim().split('\n').slice(-5).join(' | ');
}

function targetOf(pointInTime: string): RecoveryTarget {
  if (pointInTime === 'latest') return { kind: 'latest' };
  if (Number.isNaN(Date.parse(pointInTime)) || !/[zZ]|[+-]\d\d:?\d\d$/.test(pointInTime)) {
    throw fail('ConfigInvalid', 'pointInTime: must be "latest" or an ISO time with its offset, e.g. 2026-11-30T08:15:00Z');
  }
  return { kind: 'time', time: new Date(pointInTime).toISOString() };
}

function chooseBaseBackup(backups: BaseBackupRecord[], target: RecoveryTarget): BaseBackupRecord {
  const usable = target.kind === 'latest' ? backups : backups.filter((b) => Date.parse(b.endedAt) <= Date.parse(target.time));
  const chosen = usable[usable.length - 1];
  if (!chosen) {
    const first = backups[0];
    throw fail('ConfigInvalid', first ? `pointInTime: the first base backup ended at ${first.endedAt}; no recovery reaches an earlier time` : 'no base backup in the repository: take one (the baseBackup workflow) first');
  }
  return chosen;
}

async function serverBinDirFor(major: number, configured?: string): Promise<string> {
  const candidates = configured ? [configured] : [join(projectTools, `postgresql-${major}`, 'bin'), `/usr/lib/postgresql/${major}/bin`];
  for (const dir of candidates) {
    if (await access(join(dir, 'postgres'), constants.X_OK).then(() => true, () => false)) return dir;
  }
  throw fail('ToolMissing', `no PostgreSQL ${major} server (postgres, pg_ctl) in ${candidates.join(' or ')}; install postgresql-${major} or give serverBinDir`);
}

// PostgreSQL refuses to run as root: a root worker hands the cluster to the `postgres` user.
const asRoot = process.getuid?.() === 0;
const asServerUser = (file: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args]);

/**
 * The recovery itself, shared by the pointInTimeRecovery workflow's activity and the DR runbook's
 * database step (activities/dr-wal-restore.ts): no heartbeat of its own, `onPhase` tells the
 * caller's heartbeat where it is.
 */
export function createClusterRecovery(deps: ActivityDeps) {
  const { config, commands, secrets } = deps;
  const root = config.repository.root;
  const store = createWalStore(config, commands);

  async function unpack(backup: BaseBackupRecord, dataDir: string): Promise<void> {
    const stored = join(root, backup.file);
    const packed = backup.encrypted ? join(root, layout.wal.baseDecrypted(backup.id)) : stored;
    if (backup.encrypted) {
      const file = config.encryption.enabled ? config.encryption.passphraseFile : undefined;
      if (!file) throw fail('ConfigInvalid', `base backup ${backup.id} is encrypted: set encryption.passphraseFile`);
      await ensureDir(join(root, layout.stagingDir));
      await commands.run('gpg', [...gpgBaseArgs(file), '--decrypt', '--output', packed, stored], { classify: classifyGpgError });
    }
    try {
      const { sha256 } = await sha256File(packed);
      if (sha256 !== backup.sha256) throw fail('VerificationFailed', `${backup.file}: sha256 ${sha256} differs from its record's ${backup.sha256}`);
      await commands.run('tar', ['-xzf', packed, '-C', dataDir]);
    } finally {
      if (backup.encrypted) await rm(packed, { force: true });
    }
  }

  /** The recovered cluster as the source's user reaches it: it has the source's roles and passwords. */
  async function connectAs(port: number): Promise<{ db: DirectDatabase; password?: string }> {
    const source = config.source.database;
    if (source.transport !== 'direct') throw fail('ConfigInvalid', 'pitr needs source.database.transport "direct"');
    const password = source.password ? await secrets.resolve(source.password, 'source.database.password') : undefined;
    return { db: { ...source, host: '127.0.0.1', port }, password };
  }

  /** Starts the recovering server and waits until it promotes; the commit time of the last transaction replayed. */
  async function replay(binDir: string, input: PitrInput): Promise<string | undefined> {
    const pgCtl = join(binDir, 'pg_ctl');
    const [file, args] = asServerUser(pgCtl, [
      // -w: returns once the server accepts connections (consistent, or promoted) or has failed.
      '-D', input.dataDir, '-l', join(input.dataDir, SERVER_LOG), '-w', '-t', String(START_WAIT_S),
      // pg_ctl hands -o to a shell: only a number and fixed words here.
      '-o', `-p ${input.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
      'start',
    ]);
    await commands.run(file, args).catch(async (err: Error) => {
      throw fail('VerificationFailed', `the recovering server did not start (${err.message}): ${await logTail(input.dataDir)}`);
    });
    const { db, password } = await connectAs(input.port);
    for (;;) {
      const [statusFile, statusArgs] = asServerUser(pgCtl, ['-D', input.dataDir, 'status']);
      const running = await commands.run(statusFile, statusArgs).then(() => true, () => false);
      if (!running) {
        throw fail('VerificationFailed', `the recovering server stopped: ${await logTail(input.dataDir)}`);
      }
      const rows = await psqlRows(commands, db, 'select pg_is_in_recovery(), extract(epoch from pg_last_xact_replay_timestamp())', password).catch(() => undefined);
      if (rows?.[0]?.[0] === 'f') return rows[0][1] ? new Date(Number(rows[0][1]) * 1000).toISOString() : undefined;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  return {
    connectAs,

    /** The base backup a recovery to `pointInTime` starts from (ConfigInvalid when none reaches it). */
    async chooseBaseBackup(pointInTime: string): Promise<BaseBackupRecord> {
      return chooseBaseBackup((await readBaseBackups(root)).backups, targetOf(pointInTime));
    },

    /**
     * Restores the source's cluster as it was at `pointInTime` into `dataDir` and starts it (see the
     * module comment). `baseBackup` names the one to start from (chosen earlier); default the newest
     * that reaches the target.
     */
    async recover(input: PitrInput & { baseBackup?: string }, onPhase: (phase: string) => void): Promise<PitrResult> {
      const startedAt = new Date().toISOString();
      const target = targetOf(input.pointInTime);
      const { backups } = await readBaseBackups(root);
      const backup = input.baseBackup ? backups.find((b) => b.id === input.baseBackup) : chooseBaseBackup(backups, target);
      if (!backup) throw fail('SourceMissing', `base backup ${input.baseBackup} is no longer in the repository`);
      // Kept, with the WAL after it, while this run replays from it (activities/wal-archiver.ts).
      if ((await leaseChosen(root, 'point-in-time recovery', { backupIds: [], baseBackups: [backup.id] })).length) {
        throw fail('SourceMissing', `base backup ${backup.id} was removed by retention as this recovery chose it`);
      }
      if ((await readdir(input.dataDir).catch(() => [])).length) {
        throw fail('ConfigInvalid', `dataDir ${input.dataDir} is not empty: recover into a new or empty directory`);
      }
      const binDir = await serverBinDirFor(backup.pgMajor, input.serverBinDir);
      onPhase('unpack the base backup');
      // Parents this creates are passable (not readable) by others: the server user must reach the directory.
      await mkdir(dirname(input.dataDir), { recursive: true, mode: 0o711 });
      await ensureDir(input.dataDir);
      await unpack(backup, input.dataDir);
      onPhase('stage the archived WAL');
      const staged = await store.stage(join(input.dataDir, STAGED_WAL), backup.firstSegment);
      const script = join(input.dataDir, RESTORE_SCRIPT);
      await writeFile(script, restoreScript(join(input.dataDir, STAGED_WAL)), { mode: 0o755 });
      const autoConf = join(input.dataDir, 'postgresql.auto.conf');
      const unpackedConf = await readFile(autoConf, 'utf8').catch(() => '');
      const setTarget = (to: RecoveryTarget) => writeFile(autoConf, unpackedConf + recoverySettings({ scriptPath: script, target: to }));
      await setTarget(target);
      await writeFile(join(input.dataDir, 'recovery.signal'), '');
      await rm(join(input.dataDir, 'standby.signal'), { force: true });
      await chmod(input.dataDir, 0o700);
      if (asRoot) await commands.run('chown', ['-R', 'postgres:postgres', input.dataDir]);

      onPhase('replay WAL');
      let reached: string | undefined;
      let archiveEndsBeforeTarget = false;
      try {
        reached = await replay(binDir, input);
      } catch (err) {
        // No commit at or after the target in all the WAL there is (a target after the source
        // stopped, or when it was idle): everything archived was committed before it, so replaying
        // it all is exactly the recovery asked for. PostgreSQL stops such a recovery instead.
        if (target.kind !== 'time' || !(await readFile(join(input.dataDir, SERVER_LOG), 'utf8').catch(() => '')).includes(TARGET_NOT_REACHED)) throw err;
        onPhase('replay all archived WAL: it ends before the target');
        await setTarget({ kind: 'latest' });
        reached = await replay(binDir, input);
        archiveEndsBeforeTarget = true;
      }
      await rm(join(input.dataDir, STAGED_WAL), { recursive: true, force: true });
      await rm(script, { force: true });
      return {
        baseBackup: backup.id,
        target: input.pointInTime,
        ...recoveryPoint({ target, reachedAt: reached, startedAt }),
        ...(archiveEndsBeforeTarget ? { archiveEndsBeforeTarget } : {}),
        walSegments: staged.segments.length,
        ...(staged.partial ? { partialSegment: staged.partial } : {}),
        dataDir: input.dataDir,
        port: input.port,
      };
    },

    /**
     * Stops a recovered cluster whatever its state (immediate: its data is thrown away) and removes
     * its data directory. Nothing there is no error: cleanup can run again after a lost worker.
     */
    async discard(dataDir: string): Promise<void> {
      const major = Number((await readFile(join(dataDir, 'PG_VERSION'), 'utf8').catch(() => '')).trim());
      if (major && (await access(join(dataDir, 'postmaster.pid')).then(() => true, () => false))) {
        const binDir = await serverBinDirFor(major).catch(() => undefined);
        if (binDir) {
          const [file, args] = asServerUser(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
          await commands.run(file, args).catch(() => undefined); // not running after all: a stale pid file
        }
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function createWalRecoveryActivities(deps: ActivityDeps) {
  const recovery = createClusterRecovery(deps);
  return {
    /** Restores the source's cluster as it was at `pointInTime` into `dataDir` and starts it (see the module comment). */
    async walRecover(input: PitrInput): Promise<PitrResult> {
      let phase = 'choose the base backup';
      return withHeartbeat(
        () => ({ step: 'pointInTimeRecovery', phase }),
        () => recovery.recover(input, (p) => (phase = p)),
      );
    },
  };
}
