// Covers: core/manifest.ts, repository/catalog.ts (refusals)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scratchDir } from '../scratch.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manifestSchema } from '../../core/manifest.js';
import { sampleManifest } from '../sample-manifest.js';
import { latestGood, readCatalog } from '../../repository/catalog.js';

const manifest = (backupId: string) => sampleManifest(backupId);

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
