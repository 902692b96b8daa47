// Covers: core/health.ts (the WAL archive's checks), core/wal-lag.ts as the health check reads it,
// client/schedules.ts (the base backup schedule exists only with pitr.enabled), config/schema.ts
// (schedules.baseBackup).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';
import { evaluateHealth, type ArchiveHealthFacts, type HealthFacts } from '../../core/health.js';
import { archiveLag } from '../../core/wal-lag.js';
import { desiredSchedules, scheduleId } from '../../client/schedules.js';

const minimal = {
  source: { name: 'pb', database: { transport: 'direct', host: 'db', user: 'u', database: 'd' }, storage: { root: '/s' } },
  repository: { root: '/r' },
};
const config = parseConfig(minimal, 'x', {});
const NOW = '2026-11-29T12:00:00.000Z';
const secondsAgo = (s: number) => new Date(Date.parse(NOW) - s * 1000).toISOString();

function facts(archive?: ArchiveHealthFacts): HealthFacts {
  return {
    now: NOW,
    dumps: [{ backupId: 'b', finishedAt: secondsAgo(3600), bytes: 200_000 }],
    runs: [],
    freeBytes: 100 * 1024 ** 3,
    ...(archive ? { archive } : {}),
  };
}
const archive = (lastReceivedSecondsAgo: number | undefined, behindBytes: number | undefined, running?: boolean): ArchiveHealthFacts => ({
  lag: archiveLag({ now: NOW, ...(lastReceivedSecondsAgo === undefined ? {} : { lastReceivedAt: secondsAgo(lastReceivedSecondsAgo) }), behindBytes }, 120_000),
  maxLagMs: 120_000,
  ...(running === undefined ? {} : { archiver: { workflowId: 'promptbox-backup-pb-wal-archiver', running } }),
});
const check = (f: HealthFacts, name: string) => evaluateHealth(f, config.health).checks.find((c) => c.name === name);

test('without pitr facts there are no archive checks', () => {
  const report = evaluateHealth(facts(), config.health);
  assert.equal(report.status, 'ok', report.summary);
  assert.ok(!report.checks.some((c) => c.name.startsWith('WAL')));
});

test('an archive holding everything the source wrote is ok however long ago WAL last came: an idle source is not late', () => {
  const f = facts(archive(3600, 0, true));
  assert.deepEqual(check(f, 'WAL archive lag'), { name: 'WAL archive lag', status: 'ok', detail: 'the archive holds all WAL the source wrote' });
  assert.equal(check(f, 'WAL archiver')?.status, 'ok');
  assert.equal(evaluateHealth(f, config.health).status, 'ok');
});

test('an archive lacking WAL for longer than pitr.maxLag is critical and says by how much', () => {
  const f = facts(archive(300, 3 * 1024, true));
  const lag = check(f, 'WAL archive lag');
  assert.equal(lag?.status, 'critical');
  assert.equal(lag?.detail, '300 s behind (limit 120 s), 3.0 KiB of WAL not yet archived');
  assert.match(evaluateHealth(f, config.health).summary, /^CRITICAL: WAL archive lag: 300 s behind/);
  assert.equal(check(facts(archive(60, 3 * 1024, true)), 'WAL archive lag')?.status, 'ok', 'within the limit');
});

test('a source that does not answer, an archive that never received WAL, and a stopped archiver are each critical', () => {
  assert.match(check(facts(archive(300, undefined)), 'WAL archive lag')?.detail ?? '', /the source did not say how much WAL the archive lacks/);
  // Crossing Temporal as JSON turns the infinite lag of "never received" into null.
  const never = JSON.parse(JSON.stringify(archive(undefined, 5))) as ArchiveHealthFacts;
  assert.deepEqual(check(facts(never), 'WAL archive lag'), { name: 'WAL archive lag', status: 'critical', detail: 'no WAL has reached the archive yet (limit 120 s)' });
  const stopped = check(facts(archive(1, 0, false)), 'WAL archiver');
  assert.equal(stopped?.status, 'critical');
  assert.match(stopped?.detail ?? '', /promptbox-backup-pb-wal-archiver is not running: `schedules apply` starts it/);
  assert.equal(check(facts(archive(1, 0)), 'WAL archiver'), undefined, 'not asked (the CLI without Temporal): no check');
});

test('the weekly base backup schedule (Sunday 02:00 by default) exists only with pitr.enabled, and null removes it', () => {
  const ids = (c: typeof config) => desiredSchedules(c).map((s) => s.scheduleId);
  assert.ok(!ids(config).includes(scheduleId(config, 'baseBackup')));
  const on = parseConfig({ ...minimal, pitr: { enabled: true } }, 'x', {});
  const base = desiredSchedules(on).find((s) => s.scheduleId === scheduleId(on, 'baseBackup'));
  assert.deepEqual(base?.spec.cronExpressions, ['0 2 * * 0']);
  assert.equal(base?.action.type === 'startWorkflow' && (base.action.workflowType as { name: string }).name, 'baseBackup');
  const off = parseConfig({ ...minimal, pitr: { enabled: true }, schedules: { baseBackup: null } }, 'x', {});
  assert.ok(!ids(off).includes(scheduleId(off, 'baseBackup')));
});
