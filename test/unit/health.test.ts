// Covers: core/health.ts, core/capacity.ts, activities/health.ts (exclude matching)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateHealth, healthExitCode, type HealthFacts } from '../../core/health.js';
import { isExcluded } from '../../activities/dir-tally.js';
import { estimateCapacity } from '../../core/capacity.js';
import { parseConfig } from '../../config/load.js';

const thresholds = parseConfig(
  { source: { name: 'pb', database: { transport: 'docker', container: 'promptbox-db-1', user: 'u', database: 'd' }, storage: { root: '/s' } }, repository: { root: '/r' } },
  'x',
  {},
).health;

const NOW = '2026-11-29T12:00:00.000Z';
const hoursAgo = (h: number) => new Date(Date.parse(NOW) - h * 3_600_000).toISOString();
const id = (h: number) => `h${h}`;

function facts(dumps: Array<[hoursAgo: number, bytes: number]>, extra: Partial<HealthFacts> = {}): HealthFacts {
  return {
    now: NOW,
    dumps: dumps.map(([h, bytes]) => ({ backupId: id(h), finishedAt: hoursAgo(h), bytes })),
    runs: [{ kind: 'full', workflowId: 'w', outcome: 'succeeded', finishedAt: hoursAgo(1) }],
    freeBytes: 100 * 1024 ** 3,
    ...extra,
  };
}

const week = (bytes: number): Array<[number, number]> => [168, 144, 120, 96, 72, 48, 24].map((h) => [h, bytes]);

test('a fresh good backup is healthy and exits 0', () => {
  const r = evaluateHealth(facts([...week(200_000), [1, 210_000]]), thresholds);
  assert.equal(r.status, 'ok');
  assert.equal(healthExitCode(r.status), 0);
  assert.match(r.summary, /^OK: \d+ checks passed$/);
});

test('a newest dump 26 hours old is critical (RPO breach)', () => {
  const r = evaluateHealth(facts([...week(200_000).map(([h, b]): [number, number] => [h + 26, b]), [26, 200_000]]), thresholds);
  assert.equal(r.status, 'critical');
  assert.equal(healthExitCode(r.status), 2);
  assert.match(r.summary, /^CRITICAL: newest dump age: h26 is 26\.0 h old \(limit 25\.0 h\)/);
});

test('a newest dump of 5 KB is critical', () => {
  const r = evaluateHealth(facts([[1, 5 * 1024]]), thresholds);
  assert.equal(r.status, 'critical');
  assert.ok(r.checks.some((c) => c.name === 'newest dump size' && c.status === 'critical' && c.detail.startsWith('5.0 KiB')));
});

test('a dump three times the median of the last seven warns', () => {
  const r = evaluateHealth(facts([...week(200_000), [1, 600_000]]), thresholds);
  assert.equal(r.status, 'warning');
  assert.equal(healthExitCode(r.status), 1);
  assert.ok(r.checks.some((c) => c.name === 'dump size anomaly' && c.status === 'warning'));
  const within = evaluateHealth(facts([...week(200_000), [1, 290_000]]), thresholds);
  assert.equal(within.status, 'ok', 'within +50 % of the median is normal growth');
});

test('no dump at all, a failed last run, a full disk and a mirror that lags the source are each reported', () => {
  assert.equal(evaluateHealth(facts([]), thresholds).status, 'critical');
  const failed = evaluateHealth(
    facts([[1, 200_000]], { runs: [{ kind: 'database', workflowId: 'w', outcome: 'failed', finishedAt: hoursAgo(0.5), error: { type: 'DatabaseUnreachable', message: 'refused' } }] }),
    thresholds,
  );
  assert.equal(failed.status, 'critical');
  assert.match(failed.summary, /last database run: failed at .*: DatabaseUnreachable: refused/);
  assert.equal(evaluateHealth(facts([[1, 200_000]], { freeBytes: 1024 }), thresholds).status, 'warning');
  const lag = evaluateHealth(facts([[1, 200_000]], { mirror: { files: 9, bytes: 900 }, source: { files: 10, bytes: 1000 } }), thresholds);
  assert.equal(lag.status, 'warning');
  assert.match(lag.summary, /image mirror: mirror 9 files/);
});

test('excludes follow rsync: anchored directories, any-depth directories, globs', () => {
  assert.ok(isExcluded('thumbnails', true, ['/thumbnails/']));
  assert.ok(!isExcluded('original/thumbnails', true, ['/thumbnails/']));
  assert.ok(isExcluded('original/cache', true, ['cache/']));
  assert.ok(!isExcluded('cache', false, ['cache/']));
  assert.ok(isExcluded('original/ab/x.tmp', false, ['*.tmp']));
});

test('the capacity estimate multiplies measured sizes by the retention counts', () => {
  const rows = estimateCapacity(
    { dumpBytes: [100, 1000, 1000, 1000, 1000, 1000, 1000, 1000], mirrorBytes: 50_000, incrementBytes: [10, 30], configBytes: 700 },
    { daily: 7, weekly: 4, monthly: 12, imageIncrementDays: 30 },
  );
  assert.deepEqual(rows.map((r) => [r.item, r.bytes]), [
    ['database dumps', 23_000],
    ['image mirror', 50_000],
    ['image increments', 600],
    ['config snapshots', 700],
    ['total', 74_300],
  ]);
});

test('a good backup whose artifacts are not as recorded is critical; future-dated backups and invalid manifests warn', () => {
  const damaged = evaluateHealth(facts(week(200_000), { damaged: [{ backupId: '20261129_030000', problem: 'db/promptbox_20261129_030000.dump: missing' }] }), thresholds);
  assert.equal(damaged.status, 'critical');
  assert.match(damaged.summary, /backup artifacts: 20261129_030000: db\/promptbox_20261129_030000\.dump: missing/);
  const intact = evaluateHealth(facts(week(200_000), { damaged: [] }), thresholds);
  assert.ok(intact.checks.some((c) => c.name === 'backup artifacts' && c.status === 'ok'));
  const future = evaluateHealth(facts([[1, 200_000]], { futureDated: ['20991231_000000'] }), thresholds);
  assert.equal(future.status, 'warning');
  assert.match(future.summary, /future-dated backups: 20991231_000000/);
  const invalid = evaluateHealth(facts([[1, 200_000]], { invalidManifests: ['/r/manifests/x.json: not JSON'] }), thresholds);
  assert.equal(invalid.status, 'warning');
  assert.match(invalid.summary, /invalid manifests: \/r\/manifests\/x\.json: not JSON/);
});
