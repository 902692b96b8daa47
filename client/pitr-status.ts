// `pitr status`: the point-in-time recovery side at a glance. Whether the walArchiver workflow runs
// (Temporal) and what its last streaming attempt did (its archiverStatus query, which needs a
// worker to answer), how far the archive trails the source (read here, as `health` does), and the
// newest base backup recovery can start from.
import type { Client } from '@temporalio/client';
import { pino } from 'pino';
import type { Config } from '../config/schema.js';
import { createActivityDeps } from '../activities/deps.js';
import { createWalArchiverActivities, type ArchiveStatus } from '../activities/wal-archiver.js';
import { describeArchiver, type ArchiverRun } from '../activities/wal-archiver-run.js';
import { readBaseBackups, type BaseBackupRecord } from '../repository/base-backups.js';
import type { InvalidRecord } from '../repository/json-records.js';
import { archiverStatusQuery, type ArchiverStatus } from '../workflows/wal-archiver.js';

/** A query waits for a worker to answer; a status command must not hang when none runs. */
const QUERY_TIMEOUT_MS = 10_000;

export interface PitrStatus {
  archiver: ArchiverRun & { attempts?: ArchiverStatus; queryError?: string };
  archive: ArchiveStatus & { maxLagMs: number };
  newestBaseBackup?: BaseBackupRecord;
  baseBackups: number;
  retention: Pick<Config['pitr'], 'keepBaseBackups' | 'keepWeeklyBaseBackups' | 'keepMonthlyBaseBackups'>;
  /** Base backups whose record does not parse: never used, and never removed by retention. */
  invalidBaseBackups: InvalidRecord[];
}

async function queryArchiver(client: Client, run: ArchiverRun): Promise<{ attempts?: ArchiverStatus; queryError?: string }> {
  if (!run.running) return {};
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no worker answered within ${QUERY_TIMEOUT_MS / 1000} s`)), QUERY_TIMEOUT_MS);
  });
  try {
    return { attempts: await Promise.race([client.workflow.getHandle(run.workflowId).query(archiverStatusQuery), timeout]) };
  } catch (err) {
    return { queryError: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export async function collectPitrStatus(client: Client, config: Config): Promise<PitrStatus> {
  const run = await describeArchiver(client, config.source.name);
  const deps = createActivityDeps(config, pino({ level: 'silent' }));
  const maxLagMs = config.pitr.maxLag;
  const { backups: bases, invalid } = await readBaseBackups(config.repository.root);
  return {
    archiver: { ...run, ...(await queryArchiver(client, run)) },
    archive: { ...(await createWalArchiverActivities(deps).walArchiveStatus({ maxLagMs })), maxLagMs },
    ...(bases.length ? { newestBaseBackup: bases[bases.length - 1] } : {}),
    baseBackups: bases.length,
    retention: { keepBaseBackups: config.pitr.keepBaseBackups, keepWeeklyBaseBackups: config.pitr.keepWeeklyBaseBackups, keepMonthlyBaseBackups: config.pitr.keepMonthlyBaseBackups },
    invalidBaseBackups: invalid,
  };
}

export function formatPitrStatus(s: PitrStatus): string {
  const { archiver: a, archive: w, newestBaseBackup: b } = s;
  const last = a.attempts?.last;
  const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
  return [
    `WAL archiver ${a.workflowId}: ${a.running ? `running since ${a.startedAt}` : `not running${a.status ? ` (last run ${a.status})` : ''}: \`schedules apply\` starts it`}`,
    ...(a.attempts ? [`  ${a.attempts.attempts} attempt(s) finished in this run${last ? `; the last archived ${last.archived} file(s)${last.newest ? `, up to ${last.newest}` : ''}` : ''}`] : []),
    ...(a.queryError ? [`  its status query: ${a.queryError}`] : []),
    `Archive lag: ${w.verdict === 'never received' ? 'no WAL received yet' : `${seconds(w.lagMs)}`} (limit ${seconds(w.maxLagMs)}): ${w.verdict.toUpperCase()}` +
      `${w.behindBytes === undefined ? '; the source did not answer' : `; ${w.behindBytes} byte(s) not yet archived`}`,
    `  newest segment ${w.newest ?? '-'}, being written ${w.partial ?? '-'}, gaps ${w.gaps.length ? w.gaps.map((g) => `${g.missing} after ${g.after ?? 'the start'}`).join(', ') : 'none'}`,
    b
      ? `Newest base backup: ${b.id} (ended ${b.endedAt}, PostgreSQL ${b.pgMajor}, needs WAL from ${b.firstSegment}); ${s.baseBackups} kept (retention: the newest ${s.retention.keepBaseBackups} with all WAL after them, then ${s.retention.keepWeeklyBaseBackups} weekly and ${s.retention.keepMonthlyBaseBackups} monthly with their own WAL)`
      : 'Newest base backup: none yet (the baseBackup schedule takes one; recovery needs one)',
    ...s.invalidBaseBackups.map((i) => `  not a base backup (its record does not parse): ${i.file}: ${i.reason}`),
  ].join('\n');
}
