// Temporal Schedules from the config, applied idempotently: each desired schedule is created,
// updated in place when its definition changed (a fingerprint in the action's memo says so), or
// left alone; schedules of this source that the config no longer names are deleted. Pausing is
// the operator's: applying never unpauses. With pitr.enabled it also takes weekly base backups and
// keeps the walArchiver workflow running, once (client/wal-archiver-control.ts).
import { createHash } from 'node:crypto';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import { BACKUP_KIND, BACKUP_SOURCE } from '../core/search-attributes.js';
import { applyRetention, baseBackup, configSnapshot, databaseBackup, healthCheck, imageBackup, restoreTest } from '../workflows/index.js';
import { applyArchiver, type ArchiverApply } from './wal-archiver-control.js';

/** A workflow with the arguments a schedule starts it with, checked against its signature. */
const starts = <W extends (...args: never[]) => Promise<unknown>>(workflow: W, args: Parameters<W>) => ({ workflow, args });

export const SCHEDULE_KINDS = {
  database: { ...starts(databaseBackup, [{}]), what: 'database dump (pg_dump -Fc), verified' },
  images: { ...starts(imageBackup, [{}]), what: 'incremental image backup (rsync with per-day increments)' },
  config: { ...starts(configSnapshot, [{}]), what: 'config snapshot, a no-op when nothing changed' },
  retention: { ...starts(applyRetention, [{}]), what: 'GFS retention of dumps, increments and config snapshots' },
  health: { ...starts(healthCheck, []), what: 'health check with alerts' },
  integrity: { ...starts(restoreTest, [{ kind: 'integrity' }]), what: 'weekly integrity check of every retained backup' },
  partialRestore: { ...starts(restoreTest, [{ kind: 'partial' }]), what: 'monthly partial restore (database and images alternating)' },
  fullRestore: { ...starts(restoreTest, [{ kind: 'full' }]), what: 'quarterly full restore into a fresh sandbox' },
  baseBackup: { ...starts(baseBackup, []), what: 'physical base backup for point-in-time recovery (pg_basebackup, verified)' },
};
export type ScheduleKind = keyof typeof SCHEDULE_KINDS;

/** Kinds that exist only with pitr.enabled: without it, applying deletes them like any schedule the config drops. */
const PITR_KINDS: ReadonlySet<ScheduleKind> = new Set(['baseBackup']);

const FINGERPRINT = 'promptboxBackupScheduleFingerprint';

export function scheduleIdPrefix(config: Config): string {
  return `promptbox-backup-${config.source.name}-`;
}

export function scheduleId(config: Config, kind: ScheduleKind): string {
  return `${scheduleIdPrefix(config)}${kind}`;
}

/** The schedules the config asks for, as Temporal schedule options (pure). */
export function desiredSchedules(config: Config): ScheduleOptions[] {
  const s = config.schedules;
  return (Object.keys(SCHEDULE_KINDS) as ScheduleKind[]).flatMap((kind) => {
    const entry = s[kind];
    if (!entry || (PITR_KINDS.has(kind) && !config.pitr.enabled)) return [];
    const { workflow, what, args } = SCHEDULE_KINDS[kind];
    const id = scheduleId(config, kind);
    // The workflow by name in the fingerprint: schedules applied before keep theirs when unchanged.
    const definition = { cron: entry.cron, timezone: s.timezone, catchupWindow: s.catchupWindow, workflowType: workflow.name, args, taskQueue: config.temporal.taskQueue };
    const fingerprint = createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 16);
    const options: ScheduleOptions = {
      scheduleId: id,
      spec: { cronExpressions: [entry.cron], timezone: s.timezone },
      action: {
        type: 'startWorkflow',
        workflowType: workflow,
        taskQueue: config.temporal.taskQueue,
        workflowId: id,
        args: [...args],
        memo: { [FINGERPRINT]: fingerprint },
        typedSearchAttributes: [{ key: BACKUP_SOURCE, value: config.source.name }, { key: BACKUP_KIND, value: kind }],
        staticSummary: `${what}: ${config.source.name}`,
      },
      // Never two runs of one kind at once: a backup still running when the next is due wins.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: s.catchupWindow, pauseOnFailure: false },
      state: { note: `${what}; managed by promptbox-backup schedules apply` },
    };
    return [options];
  });
}

export interface ApplyResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  deleted: string[];
  /** The walArchiver workflow, when pitr.enabled or when one was running without it. */
  archiver?: ArchiverApply;
}

async function existingIds(client: Client, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(prefix)) ids.push(s.scheduleId);
  return ids;
}

export async function applySchedules(client: Client, config: Config): Promise<ApplyResult> {
  const result: ApplyResult = { created: [], updated: [], unchanged: [], deleted: [] };
  const desired = desiredSchedules(config);
  for (const options of desired) {
    const handle = client.schedule.getHandle(options.scheduleId);
    let current;
    try {
      current = await handle.describe();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      await client.schedule.create(options);
      result.created.push(options.scheduleId);
      continue;
    }
    const wanted = (options.action.memo as Record<string, unknown>)[FINGERPRINT];
    const have = current.action.type === 'startWorkflow' ? (current.action.memo as Record<string, unknown> | undefined)?.[FINGERPRINT] : undefined;
    if (wanted === have) {
      result.unchanged.push(options.scheduleId);
      continue;
    }
    await handle.update((prev) => ({ spec: options.spec, action: options.action, policies: options.policies, state: prev.state }));
    result.updated.push(options.scheduleId);
  }
  const keep = new Set(desired.map((d) => d.scheduleId));
  for (const id of await existingIds(client, scheduleIdPrefix(config))) {
    if (keep.has(id)) continue;
    await client.schedule.getHandle(id).delete();
    result.deleted.push(id);
  }
  const archiver = await applyArchiver(client, config);
  return archiver ? { ...result, archiver } : result;
}

export interface ScheduleRow {
  id: string;
  paused: boolean;
  cron: string;
  timezone: string;
  next?: string;
  recent?: string;
}

export async function listSchedules(client: Client, config: Config): Promise<ScheduleRow[]> {
  const rows: ScheduleRow[] = [];
  for (const id of (await existingIds(client, scheduleIdPrefix(config))).sort()) {
    const d = await client.schedule.getHandle(id).describe();
    rows.push({
      id,
      paused: d.state.paused,
      cron: desiredSchedules(config).find((o) => o.scheduleId === id)?.spec.cronExpressions?.join(' | ') ?? '(not in config)',
      timezone: d.spec.timezone ?? 'UTC',
      ...(d.info.nextActionTimes[0] ? { next: d.info.nextActionTimes[0].toISOString() } : {}),
      ...(d.info.recentActions.length ? { recent: d.info.recentActions[d.info.recentActions.length - 1]!.takenAt.toISOString() } : {}),
    });
  }
  return rows;
}

/** pause | unpause | trigger | delete one schedule, named by kind (`database`) or full id. */
export async function controlSchedule(client: Client, config: Config, action: 'pause' | 'unpause' | 'trigger' | 'delete', name: string, note?: string): Promise<string> {
  const id = name.startsWith(scheduleIdPrefix(config)) ? name : scheduleId(config, name as ScheduleKind);
  const handle = client.schedule.getHandle(id);
  if (action === 'pause') await handle.pause(note ?? 'paused with promptbox-backup schedules pause');
  else if (action === 'unpause') await handle.unpause(note ?? 'unpaused with promptbox-backup schedules unpause');
  else if (action === 'trigger') await handle.trigger(ScheduleOverlapPolicy.SKIP);
  else await handle.delete();
  return id;
}
