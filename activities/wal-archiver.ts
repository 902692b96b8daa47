// The continuous WAL archive's long-running step: pg_receivewal streams the source's WAL through
// the replication slot into wal/incoming (flushing each write: --synchronous), and each segment it
// completes is archived (activities/wal-segment-store.ts) while it runs. One attempt streams for
// `streamForMs`, then returns for the workflow to start the next; it fails when the source goes
// away (--no-loop), and the workflow's retries bring it back. A pg_receivewal left by a lost
// worker is ended first: two cannot share the slot, and it would go on writing beside ours.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActivityDeps } from './deps.js';
import { fail } from './failure.js';
import { cancellationSignal, withHeartbeat } from './heartbeat.js';
import { classifyPgError, psqlRows } from './psql.js';
import { ensureSlot } from './wal-prerequisites.js';
import { REPLICATION_CONNINFO, walSource } from './wal-source.js';
import { completedIncoming, createWalStore, partialIncoming } from './wal-segment-store.js';
import { readBaseBackups, removeBaseBackupFiles, removeBaseBackupRecord, writeBaseBackupRecord } from '../repository/base-backups.js';
import { readLeases } from '../repository/leases.js';
import { liveLeases } from './backup-leases.js';
import { ensureDir } from '../repository/fs-durable.js';
import { layout } from '../repository/layout.js';
import { readWalIndex } from '../repository/wal-index.js';
import { readReceiverRecord, writeReceiverRecord } from '../repository/wal-receiver.js';
import { findGaps, isSegmentName, parseLsn, partialSegmentOf, segmentForLsn, type WalGap } from '../core/wal-segments.js';
import { archiveLag, type ArchiveLag } from '../core/wal-lag.js';
import { walRetention, type WalRetention } from '../core/wal-retention.js';

const POLL_MS = 500;
/** pg_receivewal asking for WAL the source has recycled: no retry brings it back. */
const WAL_REMOVED = /requested WAL segment \S+ has already been removed/;

export interface StreamResult {
  archived: number;
  newest?: string;
  /** The slot was missing and created again: WAL written meanwhile may be lost (see `gaps`). */
  slotRecreated: boolean;
  /**
   * The source no longer had the WAL the archive needed next: it is lost. The segment being
   * written was archived as it was (`<segment>.partial`), and streaming goes on from the slot.
   */
  walLost: boolean;
  gaps: WalGap[];
}

export interface ArchiveStatus extends ArchiveLag {
  newest?: string;
  partial?: string;
  gaps: WalGap[];
}

/** Running, not a zombie: an orphan's new parent may be slow to reap it, or never do so. */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/s.test(stat);
}

/**
 * Ends the receiver a lost attempt left, found by the record that attempt wrote (as
 * activities/interrupted-copy.ts does for rclone). Only a process whose command line names our
 * incoming directory is signalled: after a reboot the recorded pid may belong to anything.
 */
async function endOrphanedReceiver(root: string, directoryArg: string): Promise<boolean> {
  // A record that does not parse names no process; this attempt rewrites it.
  const read = await readReceiverRecord(root);
  const pid = read && 'record' in read ? read.record.pid : undefined;
  if (pid === undefined) return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.split('\0').includes(directoryArg)) return false;
  try {
    process.kill(-pid, 'SIGKILL'); // its group: the receiver leads the group it was started in
  } catch {
    return false;
  }
  for (let waited = 0; (await alive(pid)) && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  return true;
}

export function createWalArchiverActivities(deps: ActivityDeps) {
  const { config, commands, logger } = deps;
  const root = config.repository.root;
  const store = createWalStore(config, commands);

  async function archiveCompleted(progress: { archived: number; newest?: string }): Promise<void> {
    for (const name of await completedIncoming(root)) {
      await store.archive(name);
      progress.archived += 1;
      if (isSegmentName(name)) progress.newest = name;
    }
  }

  /** pg_receivewal resumes from the newest file in its directory: a partial the source cannot continue is archived as it is. */
  async function setAsidePartials(progress: { walLost?: boolean }): Promise<void> {
    for (const name of await readdir(join(root, layout.wal.incoming))) {
      if (partialSegmentOf(name)) await store.archive(name);
    }
    progress.walLost = true;
    logger.error('the source no longer has the WAL the archive needs next: the archive has a gap; streaming goes on from the slot');
  }

  /**
   * What retention keeps of the base backups in the repository now (core/wal-retention.ts), the
   * base backups in `inUse` kept with all the WAL after them.
   */
  async function currentRetention(inUse?: ReadonlySet<string>): Promise<WalRetention> {
    const refs = (await readBaseBackups(root)).backups.map((b) => ({
      id: b.id,
      firstSegment: b.firstSegment,
      lastSegment: segmentForLsn(b.timeline, parseLsn(b.endLsn)!),
      endedAt: b.endedAt,
    }));
    const { keepBaseBackups, keepWeeklyBaseBackups, keepMonthlyBaseBackups } = config.pitr;
    return walRetention(refs, { continuous: keepBaseBackups, weekly: keepWeeklyBaseBackups, monthly: keepMonthlyBaseBackups, timeZone: config.schedules.timezone }, inUse);
  }

  /**
   * Removes the base backups retention keeps no more, and the WAL no kept one needs. What a running
   * recovery replays from stays (repository/leases.ts): a base backup leased while its record was
   * being removed gets its record back, and the WAL is pruned only after.
   */
  async function applyRetention(): Promise<void> {
    const inUse = new Set((await liveLeases(deps)).flatMap((lease) => lease.baseBackups));
    const records = (await readBaseBackups(root)).backups;
    const deleted: string[] = [];
    for (const id of (await currentRetention(inUse)).deleteBaseBackups) {
      await removeBaseBackupRecord(root, id);
      const record = records.find((b) => b.id === id);
      if (record && (await readLeases(root)).leases.some((lease) => lease.baseBackups.includes(id))) {
        await writeBaseBackupRecord(root, record);
        inUse.add(id);
        continue;
      }
      await removeBaseBackupFiles(root, id);
      deleted.push(id);
    }
    const retention = await currentRetention(inUse);
    const removed = retention.keepFrom ? await store.prune(retention) : 0;
    if (deleted.length || removed) logger.info({ deleteBaseBackups: deleted, kept: retention.kept, keepFrom: retention.keepFrom, keepRanges: retention.keepRanges, removed }, 'WAL archive retention');
  }

  /** Holes in the continuous WAL; those before it, between the older base backups' own WAL, are retention's. */
  async function gaps(): Promise<WalGap[]> {
    return findGaps([...(await readWalIndex(root)).records.keys()], (await currentRetention()).keepFrom);
  }

  return {
    /** One streaming attempt: see the module comment. Heartbeats while it runs. */
    async walStream(input: { streamForMs: number }): Promise<StreamResult> {
      const source = await walSource(deps);
      const incoming = join(root, layout.wal.incoming);
      const directoryArg = `--directory=${incoming}`;
      await ensureDir(incoming);
      if (await endOrphanedReceiver(root, directoryArg)) logger.warn('ended the pg_receivewal a lost archiver attempt left running');
      const slotRecreated = (await ensureSlot(deps, source)) === 'created';
      if (slotRecreated) logger.warn({ slot: source.slot }, 'the replication slot was missing and was created again: the archive may have a gap');
      await applyRetention();
      const progress: { archived: number; newest?: string; partial?: string; walLost?: boolean } = { archived: 0 };
      await archiveCompleted(progress); // what a lost attempt's receiver completed

      const receiver = commands.spawn(
        `${source.binDir}/pg_receivewal`,
        [...source.connArgs, `--dbname=${REPLICATION_CONNINFO}`, directoryArg, `--slot=${source.slot}`, '--no-loop', '--synchronous'],
        { env: source.env, classify: classifyPgError },
      );
      receiver.child.stdout?.resume();
      await writeReceiverRecord(root, { pid: receiver.child.pid });
      let exited = false;
      const outcome = receiver.finish().finally(() => (exited = true));
      outcome.catch(() => undefined); // observed below; an early rejection must not be unhandled meanwhile

      const cancel = cancellationSignal();
      const until = Date.now() + input.streamForMs;
      await withHeartbeat(
        () => ({ step: 'walStream', ...progress }),
        async () => {
          while (!exited && Date.now() < until && !cancel?.aborted) {
            await new Promise((r) => setTimeout(r, POLL_MS));
            await archiveCompleted(progress);
            progress.partial = (await partialIncoming(root))?.segment;
          }
          // Time is up: SIGINT makes pg_receivewal flush and exit, leaving its .partial for the next attempt.
          if (!exited && receiver.child.pid !== undefined) {
            try {
              process.kill(-receiver.child.pid, 'SIGINT');
            } catch {
              // ESRCH: it ended on its own meanwhile; its outcome says how.
            }
          }
          const result = await outcome.catch(async (err: Error) => {
            await archiveCompleted(progress);
            if (!WAL_REMOVED.test(err.message)) throw err;
            await setAsidePartials(progress);
            return undefined;
          });
          if (!result) return;
          await archiveCompleted(progress);
          if (Date.now() < until && !cancel?.aborted) {
            throw fail('DatabaseUnreachable', `pg_receivewal ended before its time (exit ${result.exitCode}): ${result.stderr.trim().slice(-500)}`);
          }
        },
      );
      return { archived: progress.archived, newest: progress.newest, slotRecreated, walLost: progress.walLost ?? false, gaps: await gaps() };
    },

    /** How far the archive trails the source (core/wal-lag.ts), and any hole in it. */
    async walArchiveStatus(input: { maxLagMs: number }): Promise<ArchiveStatus> {
      const index = [...(await readWalIndex(root)).records.values()];
      const partial = await partialIncoming(root);
      const times = [partial?.writtenAt, ...index.map((r) => r.archivedAt)].filter((t): t is string => Boolean(t)).sort();
      let behindBytes: number | undefined;
      try {
        const source = await walSource(deps);
        const [row] = await psqlRows(commands, source.db, `select pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) from pg_replication_slots where slot_name = '${source.slot}'`, source.password);
        behindBytes = row?.[0] ? Math.max(0, Number(row[0])) : undefined;
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'archive status: the source did not answer');
      }
      const segments = index.map((r) => r.name).filter(isSegmentName).sort();
      return {
        ...archiveLag({ now: new Date().toISOString(), lastReceivedAt: times.pop(), behindBytes }, input.maxLagMs),
        newest: segments.pop(),
        partial: partial?.segment,
        gaps: await gaps(),
      };
    },
  };
}
