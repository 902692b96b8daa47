// Covers: core/checklist-verdicts.ts. The verdict and the evidence text of every checklist item,
// from each run that observes it (DR runbook, integrity check, partial restores). The texts are
// what recorded reports and restore-test records hold: they must not drift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checklistVerdicts, type Observation } from '../../core/checklist-verdicts.js';
import { STEP_TITLES, type StepState } from '../../core/dr-report.js';

const one = (o: Observation) => {
  const [item] = checklistVerdicts([o]);
  return [item!.result, item!.evidence];
};
const step = (s: Partial<StepState>): StepState => ({ step: 'restoreDatabase', title: STEP_TITLES.restoreDatabase, budgetMs: 1, status: 'done', attempts: 1, ...s });
const HASH = 'a'.repeat(64);

test('database restored: as DR step 3 reported it, or skipped with its reason, or failed with its error, or not run', () => {
  assert.deepEqual(one({ item: 'database restored', observed: { drStep: step({}), restored: '4096 bytes restored' } }), ['pass', '4096 bytes restored']);
  assert.deepEqual(one({ item: 'database restored', observed: { drStep: step({ status: 'skipped', skipReason: 'by hand', error: 'boom' }) } }), ['skip', 'by hand']);
  assert.deepEqual(one({ item: 'database restored', observed: { drStep: step({ status: 'aborted', error: 'pg_restore failed' }) } }), ['fail', 'pg_restore failed']);
  assert.deepEqual(one({ item: 'database restored', observed: { drStep: step({ status: 'aborted' }) } }), ['fail', 'not run']);
});

test('database restored: every retained dump readable, or the scratch restore matching the manifest', () => {
  assert.deepEqual(one({ item: 'database restored', observed: { dumpsChecked: 3, dumpsBad: 0 } }), ['pass', '3 dumps readable by pg_restore --list with their recorded sha256']);
  assert.deepEqual(one({ item: 'database restored', observed: { dumpsChecked: 3, dumpsBad: 1 } })[0], 'fail');
  const scratch = { backupId: '20261129_030000', tables: 4, scratchDatabase: 'pbb_scratch', mismatches: 0 };
  assert.deepEqual(one({ item: 'database restored', observed: scratch }), ['pass', '20261129_030000: 4 tables restored into scratch database pbb_scratch']);
  assert.deepEqual(one({ item: 'database restored', observed: { ...scratch, mismatches: 2 } })[0], 'fail');
  assert.deepEqual(one({ item: 'database restored', observed: { failed: 'sha256 differs' } }), ['fail', 'sha256 differs']);
});

test('images present and intact: DR step 4 passes only with nothing missing or corrupt, naming the first ones and the list file', () => {
  const clean = { checked: 3, missing: [], corrupt: [], thumbnailsRebuilt: ['thumbnails/t.webp'] };
  assert.deepEqual(one({ item: 'images present and intact', observed: { drRestore: clean } }), [
    'pass',
    '3 live images checked against images.file_hash: 0 missing, 0 corrupt; 1 (thumbnails/t.webp) thumbnails rebuilt',
  ]);
  const lost = { checked: 30_000, missing: ['a.png', 'b.png'], missingCount: 60_000, corrupt: [], corruptCount: 0, listFile: 'dr-reports/x.images.tsv' };
  assert.deepEqual(one({ item: 'images present and intact', observed: { drRestore: lost } }), [
    'fail',
    '30000 live images checked against images.file_hash: 60000 (a.png, b.png, ... and 59998 more) missing, 0 corrupt; 0 thumbnails rebuilt; all named in dr-reports/x.images.tsv',
  ]);
  assert.deepEqual(one({ item: 'images present and intact', observed: {} }), ['skip', 'image restore did not run']);
});

test('images present and intact: the mirror re-hashed, or a sample restored and decoded', () => {
  assert.deepEqual(one({ item: 'images present and intact', observed: { mirroredFiles: 80, bad: 0 } }), [
    'pass',
    '80 mirrored files re-hashed: originals against their names and images.file_hash, thumbnails read whole',
  ]);
  assert.equal(one({ item: 'images present and intact', observed: { mirroredFiles: 80, bad: 1 } })[0], 'fail');
  assert.deepEqual(one({ item: 'images present and intact', observed: { sampled: 5, decoded: 4, problems: 1 } }), ['fail', '5 sampled originals restored, 4 decoded, 1 problems']);
  assert.equal(one({ item: 'images present and intact', observed: { sampled: 5, decoded: 5, problems: 0 } })[0], 'pass');
});

test('the running app: login, the listing, one original byte for byte, its metadata and every thumbnail', () => {
  assert.deepEqual(one({ item: 'login works', observed: { answer: 'POST /api/auth/login: 200, session cookie' } }), ['pass', 'POST /api/auth/login: 200, session cookie']);
  assert.deepEqual(one({ item: 'login works', observed: { failed: 'POST /api/auth/login answered HTTP 401' } }), ['fail', 'POST /api/auth/login answered HTTP 401']);
  const listed = { pages: 2, listed: 7, total: 7, liveRows: 7, notListed: [] };
  assert.deepEqual(one({ item: 'images listed', observed: listed }), ['pass', 'GET /api/images paged through 2 page(s): 7 images (total 7); the database has 7 live rows']);
  assert.deepEqual(one({ item: 'images listed', observed: { ...listed, listed: 1, total: 7, notListed: ['i2', 'i3', 'i4', 'i5', 'i6', 'i7'] } }), [
    'fail',
    'GET /api/images paged through 2 page(s): 1 images (total 7); the database has 7 live rows; not listed: i2, i3, i4, i5, i6',
  ]);
  assert.deepEqual(one({ item: 'image served byte-identical', observed: { storagePath: 'ab/cd/x.png', bytes: 10, sha256: HASH, fileHash: HASH } }), [
    'pass',
    `GET /storage/ab/cd/x.png: 10 bytes, sha256 ${'a'.repeat(12)}…, images.file_hash ${'a'.repeat(12)}…`,
  ]);
  assert.equal(one({ item: 'image served byte-identical', observed: { storagePath: 'x.png', bytes: 10, sha256: HASH, fileHash: 'b'.repeat(64) } })[0], 'fail');
  assert.deepEqual(one({ item: 'image served byte-identical', observed: { skipped: 'the restored database has no live image' } }), ['skip', 'the restored database has no live image']);
  const metadata = { imageId: 'i1', positivePrompt: 'a cat', rawMetadata: true, asInDatabase: true, fileHashMatches: true };
  assert.deepEqual(one({ item: 'metadata readable', observed: metadata }), ['pass', 'GET /api/images/i1: positive_prompt "a cat", raw_metadata present, as in the database']);
  assert.deepEqual(one({ item: 'metadata readable', observed: { ...metadata, positivePrompt: null, rawMetadata: false, asInDatabase: false } }), [
    'fail',
    'GET /api/images/i1: positive_prompt null, raw_metadata null; the database has another value',
  ]);
  assert.equal(one({ item: 'metadata readable', observed: { ...metadata, fileHashMatches: false } })[0], 'fail');
  assert.deepEqual(one({ item: 'metadata readable', observed: { rowsWithRawMetadata: 6 } }), ['pass', '6 rows with raw_metadata']);
  assert.equal(one({ item: 'metadata readable', observed: { rowsWithRawMetadata: 0 } })[0], 'fail');
  assert.deepEqual(one({ item: 'thumbnails served', observed: { live: 7, problems: [] } }), ['pass', "7 of 7 live images' thumbnails served as WebP"]);
  assert.deepEqual(one({ item: 'thumbnails served', observed: { live: 7, problems: ['thumbnails/a.webp: not a WebP image'] } }), [
    'fail',
    "6 of 7 live images' thumbnails served as WebP; thumbnails/a.webp: not a WebP image",
  ]);
});

test('new image imported: imported in time and served back identical with a WebP thumbnail', () => {
  const probe = { hash: HASH, importDir: '/srv/import', waitedMs: 120_000 };
  assert.deepEqual(one({ item: 'new image imported', observed: probe }), ['fail', `image ${'a'.repeat(12)}… dropped into /srv/import was not imported within 120s`]);
  assert.deepEqual(one({ item: 'new image imported', observed: { ...probe, imported: { id: 'i9', servedSha256: HASH, thumbnailWebp: true } } }), [
    'pass',
    `image ${'a'.repeat(12)}… dropped into /srv/import was imported as i9; its original served byte-identical, its thumbnail as WebP`,
  ]);
  assert.deepEqual(one({ item: 'new image imported', observed: { ...probe, imported: { id: 'i9', servedSha256: 'b'.repeat(64), thumbnailWebp: false } } }), [
    'fail',
    `image ${'a'.repeat(12)}… dropped into /srv/import was imported as i9; its original served with sha256 ${'b'.repeat(12)}…, its thumbnail not as WebP`,
  ]);
});

test('verdicts come back in the order observed', () => {
  const items = checklistVerdicts([
    { item: 'thumbnails served', observed: { live: 0, problems: [] } },
    { item: 'login works', observed: { answer: 'ok' } },
  ]);
  assert.deepEqual(items.map((i) => i.item), ['thumbnails served', 'login works']);
});
