// Covers: core/metrics.ts, config/schema.ts (metrics)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../config/load.js';
import { readFileSync } from 'node:fs';
import { METRICS, metricSamples, type MetricSample } from '../../core/metrics.js';
import { sampleArtifact, sampleManifest } from '../sample-manifest.js';

const minimal = {
  source: { name: 'promptbox', database: { transport: 'direct', host: 'db', user: 'u', database: 'd' }, storage: { root: '/srv/storage' } },
  repository: { root: '/backup' },
};

const value = (samples: MetricSample[], metric: string, labels?: Record<string, string>) =>
  samples.find((s) => s.metric === metric && JSON.stringify(s.labels ?? {}) === JSON.stringify(labels ?? {}))?.value;

test('the metrics address must be loopback host:port, and the error names the field', () => {
  for (const address of ['127.0.0.1:9464', '127.1.2.3:1', '[::1]:9464']) {
    assert.equal(parseConfig({ ...minimal, metrics: { address } }, 'x', {}).metrics?.address, address);
  }
  assert.equal(parseConfig({ ...minimal, metrics: { address: '127.0.0.1:9464' } }, 'x', {}).metrics?.refreshInterval, 60_000);
  assert.equal(parseConfig(minimal, 'x', {}).metrics, undefined);
  for (const address of ['0.0.0.0:9464', '192.168.1.5:9464', 'localhost:9464', '127.0.0.1', '127.0.0.1:99999', '127.0.0.256:80', ':9464']) {
    assert.throws(() => parseConfig({ ...minimal, metrics: { address } }, 'x', {}), (err: ConfigError) => err.problems.some((p) => p.startsWith('metrics.address:')), address);
  }
});

test('gauges report each kind\'s newest backup, its age and size, the last test per level and the last drill', () => {
  const older = sampleManifest('20261128_030000', { finishedAt: '2026-11-28T03:05:00.000Z' });
  const dbOnly = sampleManifest('20261129_030000', {
    kind: 'database',
    parts: ['database'],
    finishedAt: '2026-11-29T03:02:00.000Z',
    database: { artifact: { ...sampleArtifact, bytes: 777 }, serverVersion: '16', tables: {} },
    images: undefined,
  });
  older.config = [{ name: '.env', source: '/app/.env', changed: true, artifact: { ...sampleArtifact, kind: 'config', bytes: 40 } }, { name: 'compose', source: '/app/c.yml', changed: false, artifact: { ...sampleArtifact, kind: 'config', bytes: 2 } }];
  const samples = metricSamples({
    now: '2026-11-29T04:02:00.000Z',
    manifests: [older, dbOnly],
    unchangedRuns: [],
    restoreTests: [
      { kind: 'integrity', passed: true, startedAt: '2026-11-20T04:00:00Z', finishedAt: '2026-11-20T04:10:00Z' },
      { kind: 'integrity', passed: false, startedAt: '2026-11-27T04:00:00Z', finishedAt: '2026-11-27T04:10:00Z' },
      { kind: 'partial-database', passed: true, startedAt: '2026-11-01T04:00:00Z', finishedAt: '2026-11-01T04:01:00Z' },
    ],
    drReports: [
      { startedAt: '2026-10-01T10:00:00Z', rto: { actualMs: 90_000, targetMs: 3_600_000 } },
      { startedAt: '2026-11-01T10:00:00Z', rto: { actualMs: 1_800_500, targetMs: 3_600_000 } },
    ],
  });
  assert.equal(value(samples, 'lastGoodBackupAge', { kind: 'database' }), 3600);
  assert.equal(value(samples, 'lastGoodBackupTime', { kind: 'database' }), Date.parse('2026-11-29T03:02:00Z') / 1000);
  assert.equal(value(samples, 'lastGoodBackupAge', { kind: 'images' }), 25 * 3600 - 180, 'the database-only backup took no images');
  assert.equal(value(samples, 'lastGoodBackupTime', { kind: 'config' }), Date.parse('2026-11-28T03:05:00Z') / 1000);
  assert.equal(value(samples, 'backupBytes', { kind: 'database' }), 777);
  assert.equal(value(samples, 'backupBytes', { kind: 'images' }), 30, 'the images of the older full backup');
  assert.equal(value(samples, 'backupBytes', { kind: 'config' }), 42);
  assert.equal(value(samples, 'restoreTestResult', { level: 'integrity' }), 0, 'the newest integrity test failed');
  assert.equal(value(samples, 'restoreTestResult', { level: 'partial-database' }), 1);
  assert.equal(value(samples, 'restoreTestTime', { level: 'integrity' }), Date.parse('2026-11-27T04:10:00Z') / 1000);
  assert.equal(value(samples, 'drLastRto'), 1800.5);
  assert.equal(value(samples, 'drLastRtoTarget'), 3600);
});

test('with nothing recorded yet, no gauge claims a value', () => {
  assert.deepEqual(metricSamples({ now: '2026-11-29T04:02:00.000Z', manifests: [], unchangedRuns: [{ kind: 'images', finishedAt: '2026-11-29T04:00:00Z' }], restoreTests: [], drReports: [] }), []);
});

test('an image or config run that found nothing changed keeps its kind fresh; one older than the newest backup, or of another kind, does not', () => {
  const full = sampleManifest('20261128_030000', { finishedAt: '2026-11-28T03:05:00.000Z' });
  full.config = [{ name: '.env', source: '/app/.env', changed: true, artifact: { ...sampleArtifact, kind: 'config', bytes: 40 } }];
  const samples = metricSamples({
    now: '2026-11-29T04:02:00.000Z',
    manifests: [full],
    unchangedRuns: [
      { kind: 'images', finishedAt: '2026-11-29T03:55:00.000Z' },
      { kind: 'config', finishedAt: '2026-11-27T00:00:00.000Z' },
    ],
    restoreTests: [],
    drReports: [],
  });
  assert.equal(value(samples, 'lastGoodBackupAge', { kind: 'images' }), 7 * 60, 'the unchanged image run ten minutes ago vouches for the mirror');
  assert.equal(value(samples, 'lastGoodBackupTime', { kind: 'images' }), Date.parse('2026-11-29T03:55:00Z') / 1000);
  assert.equal(value(samples, 'backupBytes', { kind: 'images' }), 30, 'the size is still the backup\'s');
  assert.equal(value(samples, 'lastGoodBackupTime', { kind: 'config' }), Date.parse('2026-11-28T03:05:00Z') / 1000, 'an older unchanged run says nothing newer');
  assert.equal(value(samples, 'lastGoodBackupTime', { kind: 'database' }), Date.parse('2026-11-28T03:05:00Z') / 1000, 'a dump is never vouched for by an image run');
});

test('the operations guide documents every metric the worker exports', () => {
  const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  for (const m of Object.values(METRICS)) {
    assert.ok(doc.includes(`| \`${m.name}\` |`), `${m.name} in the metrics table of docs/operations.md`);
    for (const label of m.labels) assert.match(doc, new RegExp(`\\| \`${m.name}\` \\| \`${label}\``), `${m.name}'s label ${label}`);
  }
});
