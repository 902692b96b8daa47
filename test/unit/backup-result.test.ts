// Covers: core/backup-run.ts (the RPO figure), core/backup-result.ts (what a backup run of each
// kind returns, built from what its steps reported).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackupPlan } from '../../activities/plan.js';
import { backupResult } from '../../core/backup-result.js';
import { rpoSeconds, type BackupRun } from '../../core/backup-run.js';
import type { BackupPart } from '../../core/manifest.js';
import { sampleArtifact } from '../sample-manifest.js';

function runOf(parts: BackupPart[], previousGood?: BackupPlan['previousGood']): BackupRun {
  const plan: BackupPlan = {
    source: { name: 'promptbox', transport: 'direct', database: 'promptbox', endpoint: '127.0.0.1:5432' },
    repository: '/srv/backups',
    encrypted: true,
    steps: {} as BackupPlan['steps'],
    tools: {},
    offsite: [],
    ...(previousGood ? { previousGood } : {}),
  };
  return {
    backupId: '20261129_030000',
    kind: parts.length === 1 ? (parts[0] as BackupPart) : 'full',
    parts,
    input: {},
    plan,
    workflow: { workflowId: 'full-backup-1', runId: 'run-1' },
    startedAt: new Date('2026-11-29T03:00:00Z'),
  };
}

test('the RPO figure is the age of the newest good backup of the run\'s data when this one became good', () => {
  const previousGood = { database: '20261128_030000', images: '20261129_020000' };
  const goodAt = new Date('2026-11-29T03:05:00Z');
  assert.equal(rpoSeconds(runOf(['database', 'images', 'config'], previousGood), goodAt), 86_700, 'a full backup is measured by its dump');
  assert.equal(rpoSeconds(runOf(['images'], previousGood), goodAt), 3_900);
  assert.equal(rpoSeconds(runOf(['config'], previousGood), goodAt), undefined, 'no earlier config snapshot: no figure');
  assert.equal(rpoSeconds(runOf(['database']), goodAt), undefined, "a repository's first backup has no figure");
});

test('a succeeded backup reports its artifacts, their total size, the images a person reads and how long it took', () => {
  const dump = { ...sampleArtifact, bytes: 1_000 };
  const env = { ...sampleArtifact, kind: 'config', path: 'config/.env', bytes: 24 } as const;
  const images = { mirror: 'images/current', increment: 'images/incremental/20261129', files: 40, bytes: 9_000, transferred: 2, movedToIncrement: 1, nameHashMismatches: ['ab/cd/x.png'] };
  const result = backupResult(
    runOf(['database', 'images', 'config']),
    {
      outcome: 'succeeded',
      config: [{ name: '.env', changed: true }, { name: 'docker-compose.yml', changed: false }],
      timings: [{ step: 'dump database', ms: 1_200 }],
      manifest: 'manifests/20261129_030000.json',
      artifacts: [dump, env],
      images,
      warnings: ['retention failed: disk gone'],
      retention: { deletedBackups: [], error: 'disk gone' },
    },
    new Date('2026-11-29T03:02:30Z'),
  );
  assert.equal(result.source, 'promptbox');
  assert.equal(result.repository, '/srv/backups');
  assert.equal(result.bytesWritten, 1_024);
  assert.deepEqual(result.configChanged, ['.env']);
  assert.deepEqual(result.images, { mirror: 'images/current', increment: 'images/incremental/20261129', files: 40, bytes: 9_000, transferred: 2, movedToIncrement: 1 });
  assert.equal(result.totalMs, 150_000);
  assert.deepEqual(result.retention, { deletedBackups: [], error: 'disk gone' });
  assert.deepEqual(result.offsite, []);
});

test('an unchanged config snapshot reports no manifest, nothing written and nothing changed', () => {
  const result = backupResult(
    runOf(['config']),
    { outcome: 'unchanged', config: [{ name: '.env', changed: false }], timings: [{ step: 'snapshot config', ms: 40 }] },
    new Date('2026-11-29T03:00:01Z'),
  );
  assert.equal(result.outcome, 'unchanged');
  assert.equal(result.kind, 'config');
  assert.equal('manifest' in result, false);
  assert.equal('images' in result, false);
  assert.equal(result.bytesWritten, 0);
  assert.deepEqual(result.artifacts, []);
  assert.deepEqual(result.configChanged, []);
  assert.deepEqual(result.retention, { deletedBackups: [] });
  assert.equal(result.totalMs, 1_000);
});
