// Covers: core/report-html.ts, core/svg-chart.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reportHtml, rpoAgeSeries, type ReportInput } from '../../core/report-html.js';
import { budgetBarChart, durationTicks, niceTicks } from '../../core/svg-chart.js';
import { sampleManifest } from '../sample-manifest.js';

const H = 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

test('the RPO age rises from each backup until the next one resets it, from the period start to now', () => {
  const points = rpoAgeSeries([T0 - 2 * H, T0 + 10 * H, T0 + 34 * H], T0, T0 + 40 * H);
  assert.deepEqual(points.map((p) => [(p.t - T0) / H, p.v / H]), [
    [0, 2],
    [10, 12],
    [10, 0],
    [34, 24],
    [34, 0],
    [40, 6],
  ]);
  assert.deepEqual(rpoAgeSeries([], T0, T0 + H), []);
});

test('axis ticks step 1-2-5 and cover the largest value', () => {
  assert.deepEqual(niceTicks(9), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(0.3), [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(niceTicks(0), [0, 1]);
  assert.deepEqual(durationTicks(25 * H), [0, 6 * H, 12 * H, 18 * H, 24 * H, 30 * H], 'whole hours, not 5h33m20s');
  assert.deepEqual(durationTicks(200_000), [0, 60_000, 120_000, 180_000, 240_000]);
});

test('a step over its budget is drawn as an over-budget bar beside its budget marker', () => {
  const svg = budgetBarChart({ id: 'c', title: 't', description: 'd' }, [
    { label: 'restore database', tookMs: 90_000, budgetMs: 60_000 },
    { label: 'verify', tookMs: 10_000, budgetMs: 60_000 },
    { label: 'start application', budgetMs: 60_000, note: 'skipped' },
  ]);
  assert.equal((svg.match(/class="mark bar over"/g) ?? []).length, 1);
  assert.equal((svg.match(/class="mark bar"/g) ?? []).length, 1);
  assert.equal((svg.match(/class="mark budget"/g) ?? []).length, 3);
  assert.match(svg, /start application: did not run of 1m budget, skipped/);
});

test('text from records cannot inject markup into the report', () => {
  const evil = '<script>alert(1)</script>"onload="x';
  const input: ReportInput = {
    source: 'promptbox',
    generatedAt: '2026-11-02T00:00:00.000Z',
    since: '2026-10-03T00:00:00.000Z',
    rpoTargetMs: 25 * H,
    manifests: [sampleManifest('20261101_030000', { finishedAt: '2026-11-01T03:01:00.000Z' })],
    runs: [{ workflowId: evil, type: 'fullBackup', status: 'COMPLETED', started: '2026-11-01T03:00:00.000Z', closed: '2026-11-01T03:01:00.000Z' }],
    restoreTests: [{ kind: evil, passed: false, startedAt: '2026-11-01T04:00:00Z', finishedAt: '2026-11-01T04:01:00Z', checked: 3, failures: [{}] }],
    drReports: [],
  };
  const html = reportHtml(input);
  assert.ok(!html.includes('<script'), 'no script element');
  assert.ok(!html.includes('"onload="'), 'no attribute break-out');
  assert.match(html, /&#60;script&#62;alert\(1\)&#60;\/script&#62;/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

test('a period with nothing recorded says so under each heading instead of drawing empty charts', () => {
  const html = reportHtml({ source: 'promptbox', generatedAt: '2026-11-02T00:00:00.000Z', since: '2026-10-03T00:00:00.000Z', rpoTargetMs: 25 * H, manifests: [], runs: [], runsUnavailable: 'Temporal at localhost:7233: connection refused', restoreTests: [], drReports: [] });
  assert.ok(!html.includes('<svg'));
  for (const said of ['No good backup in this period.', 'Run times unavailable: Temporal at localhost:7233: connection refused', 'the RPO is unbounded', 'No disaster-recovery drill in this period.', 'No restore test in this period.']) {
    assert.ok(html.includes(said), said);
  }
});
