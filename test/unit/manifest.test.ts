// Covers: core/manifest.ts, activities/catalog.ts (refusals)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scratchDir } from '../scratch.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manifestSchema, type Manifest } from '../../core/manifest.js';
import { latestGood, readCatalog } from '../../activities/catalog.js';

const sha = 'a'.repeat(64);
const artifact = { kind: 'dump', path: 'db/promptbox_20261129_030000.dump', bytes: 10, sha256: sha, encrypted: false, plaintextSha256: sha, plaintextBytes: 10 } as const;

function manifest(backupId: string): Manifest {
  return {
    formatVersion: 1,
    backupId,
    kind: 'full',
    parts: ['database', 'images', 'config'],
    source: { name: 'promptbox', transport: 'direct', database: 'promptbox', endpoint: '127.0.0.1:5432' },
    workflow: { workflowId: 'w', runId: 'r' },
    startedAt: '2026-11-29T03:00:00.000Z',
    finishedAt: '2026-11-29T03:01:00.000Z',
    tools: {},
    encryption: { enabled: false },
    database: { artifact: { ...artifact, path: `db/promptbox_${backupId}.dump` }, serverVersion: '16.4', tables: { images: 3 } },
    images: { mirror: 'images/current', increment: 'images/incremental/20261129', files: 3, bytes: 30, transferred: 3, movedToIncrement: 0 },
    config: [],
    verification: { verifiedAt: '2026-11-29T03:01:00.000Z', passed: true, checks: [] },
  };
}

test('manifests that point outside the repository are refused', () => {
  for (const path of ['../../etc/passwd', '/etc/passwd', 'db/../../x']) {
    const m = manifest('20261129_030000');
    m.database!.artifact.path = path;
    assert.equal(manifestSchema.safeParse(m).success, false, path);
  }
});

test('an unknown format version or an unverified manifest is never a good backup', async () => {
  const root = scratchDir();
  mkdirSync(join(root, 'manifests'));
  writeFileSync(join(root, 'manifests', '20261127_030000.json'), JSON.stringify(manifest('20261127_030000')));
  writeFileSync(join(root, 'manifests', '20261128_030000.json'), JSON.stringify({ ...manifest('20261128_030000'), formatVersion: 2 }));
  const unverified = manifest('20261129_030000') as any;
  unverified.verification.passed = false;
  writeFileSync(join(root, 'manifests', '20261129_030000.json'), JSON.stringify(unverified));
  writeFileSync(join(root, 'manifests', '20261130_030000.json'), '{ truncated');
  const catalog = await readCatalog(root);
  assert.deepEqual(catalog.manifests.map((m) => m.backupId), ['20261127_030000']);
  assert.equal(catalog.invalid.length, 3);
  assert.equal(latestGood(catalog)?.backupId, '20261127_030000');
});

test('a manifest whose file name disagrees with its backup id is refused', async () => {
  const root = scratchDir();
  mkdirSync(join(root, 'manifests'));
  writeFileSync(join(root, 'manifests', '20261201_030000.json'), JSON.stringify(manifest('20261127_030000')));
  const catalog = await readCatalog(root);
  assert.equal(catalog.manifests.length, 0);
  assert.match(catalog.invalid[0]?.reason ?? '', /does not match the file name/);
});
