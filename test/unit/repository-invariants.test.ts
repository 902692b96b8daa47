// Covers: the invariants of docs/REPOSITORY.md that hold without a server, each test named after
// its invariant: repository/fs-durable.ts, catalog.ts, lock.ts, run-journal.ts,
// restore-tests.ts, dr-reports.ts, and the commit and prune of activities/commit.ts and
// activities/retention.ts, which are the only writers of manifests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { createCommitActivities } from '../../activities/commit.js';
import { createActivityDeps } from '../../activities/deps.js';
import { createRetentionActivities } from '../../activities/retention.js';
import { parseConfig } from '../../config/load.js';
import type { Manifest } from '../../core/manifest.js';
import { firstFreeBackupId } from '../../repository/backup-ids.js';
import { readCatalog, readTrustedCatalog, latestGood, writeManifest } from '../../repository/catalog.js';
import { readDrReports } from '../../repository/dr-reports.js';
import { writeFileDurable } from '../../repository/fs-durable.js';
import { layout } from '../../repository/layout.js';
import { readLeases, writeLease } from '../../repository/leases.js';
import { createLock, readLockOwner, removeLock } from '../../repository/lock.js';
import { readRestoreTestHistory, writeRestoreTestResult } from '../../repository/restore-tests.js';
import { readRunJournal, writeRunRecord } from '../../repository/run-journal.js';
import { sampleManifest } from '../sample-manifest.js';
import { scratchDir } from '../scratch.js';

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');

/** A repository holding one good backup per id, each with an unencrypted dump of `dump-<id>`. */
function repositoryWith(...backupIds: string[]): { root: string; manifests: Manifest[] } {
  const root = scratchDir('pbb-invariants-');
  mkdirSync(join(root, layout.dbDir));
  mkdirSync(join(root, layout.manifestsDir));
  const manifests = backupIds.map((id) => {
    const content = `dump-${id}`;
    const artifact = { kind: 'dump', path: layout.dump('promptbox', id, false), bytes: content.length, sha256: sha256(content), encrypted: false, plaintextSha256: sha256(content), plaintextBytes: content.length } as const;
    writeFileSync(join(root, artifact.path), content);
    const m = sampleManifest(id, { database: { artifact, serverVersion: '16.4', tables: {} } });
    writeFileSync(join(root, layout.manifest(id)), JSON.stringify(m));
    return m;
  });
  return { root, manifests };
}

function activityDeps(root: string) {
  // A Temporal address nothing listens on: whether a leasing run still runs cannot be asked here.
  const config = parseConfig({ source: { name: 'promptbox', database: { transport: 'docker', container: 'c', user: 'u', database: 'd' }, storage: { root: '/s' } }, repository: { root }, temporal: { address: '127.0.0.1:1' } }, 'test', {});
  return createActivityDeps(config, pino({ level: 'silent' }));
}

test('atomic writes: a reader at any moment of a rewrite sees the old file or the new one, never a part', async () => {
  const root = scratchDir('pbb-invariants-');
  const file = join(root, layout.runRecord('full'));
  const before = 'o'.repeat(1 << 20);
  const after = 'n'.repeat(16 << 20);
  await writeFileDurable(file, before);
  const seen = new Set<string>();
  let writing = true;
  const rewrite = writeFileDurable(file, after).finally(() => (writing = false));
  while (writing) {
    const text = await readFile(file, 'utf8');
    seen.add(text === before ? 'old' : text === after ? 'new' : `a part of ${text.length} bytes`);
  }
  await rewrite;
  assert.deepEqual([...seen].filter((s) => s !== 'old' && s !== 'new'), []);
  assert.equal(await readFile(file, 'utf8'), after);
  assert.deepEqual((await readdir(join(root, layout.runsDir))).filter((n) => n.endsWith('.partial')), [], 'no temporary file is left');
});

test('modes: files are 0600 and directories 0700, even under a umask that allows everyone everything', async () => {
  const root = scratchDir('pbb-invariants-');
  const umask = process.umask(0);
  try {
    await writeFileDurable(join(root, layout.restoreTestRecord('integrity-x')), '{}');
    await createLock(root, { workflowId: 'w', runId: 'r', purpose: 'backup', acquiredAt: '2026-11-29T03:00:00.000Z' });
  } finally {
    process.umask(umask);
  }
  assert.equal((await stat(join(root, layout.restoreTestsDir))).mode & 0o777, 0o700);
  assert.equal((await stat(join(root, layout.restoreTestRecord('integrity-x')))).mode & 0o777, 0o600);
  assert.equal((await stat(join(root, layout.lockDir))).mode & 0o777, 0o700);
  assert.equal((await stat(join(root, layout.lockOwner))).mode & 0o777, 0o600);
});

test('manifest last: a commit that cannot place every artifact writes no manifest', async () => {
  const { root } = repositoryWith();
  const backupId = '20261129_030000';
  const staged = (name: string) => `${layout.staging(backupId)}/${name}`;
  mkdirSync(join(root, layout.staging(backupId)), { recursive: true });
  writeFileSync(join(root, staged('db.dump')), 'dump');
  const m = sampleManifest(backupId);
  const artifact = m.database!.artifact;
  const commit = createCommitActivities(activityDeps(root));
  await assert.rejects(
    commit.commitBackup({ manifest: m, staged: [{ staged: staged('db.dump'), artifact }, { staged: staged('config/.env'), artifact: { ...artifact, kind: 'config', path: layout.configSnapshot('.env', backupId, false) } }] }),
    /disappeared from staging/,
  );
  assert.deepEqual(await readdir(join(root, layout.manifestsDir)), []);
});

test('manifest lists what exists: an artifact already in place with other content is never overwritten, and no manifest is written', async () => {
  const { root } = repositoryWith();
  const backupId = '20261129_030000';
  const m = sampleManifest(backupId);
  const artifact = m.database!.artifact;
  writeFileSync(join(root, artifact.path), 'an earlier dump');
  mkdirSync(join(root, layout.staging(backupId)), { recursive: true });
  writeFileSync(join(root, layout.stagedDump(backupId)), 'this run');
  const commit = createCommitActivities(activityDeps(root));
  await assert.rejects(commit.commitBackup({ manifest: m, staged: [{ staged: layout.stagedDump(backupId), artifact }] }), (err: { type?: string }) => err.type === 'ArtifactExists');
  assert.equal(await readFile(join(root, artifact.path), 'utf8'), 'an earlier dump');
  assert.deepEqual(await readdir(join(root, layout.manifestsDir)), []);
});

test('one id per run: an id anything is filed under (manifest, dump, config snapshot, image version folder) is skipped, and none is given past the horizon', async () => {
  const { root } = repositoryWith('20261129_030000');
  const at = (s: number) => `20261129_03000${s}`;
  mkdirSync(join(root, layout.configDir));
  writeFileSync(join(root, layout.configSnapshot('.env', at(1), true)), 'snapshot');
  mkdirSync(join(root, layout.imagesIncrementVersion(at(2))), { recursive: true });
  writeFileSync(join(root, layout.dump('promptbox', at(3), false)), 'a dump whose run died before its manifest');
  const until = (s: number) => new Date(Date.UTC(2026, 10, 29, 3, 0, s));
  assert.equal(await firstFreeBackupId(root, at(0), until(9)), at(4));
  assert.equal(await firstFreeBackupId(root, at(5), until(9)), at(5));
  assert.equal(await firstFreeBackupId(root, at(0), until(3)), undefined);
});

test('only trusted backups count: one whose artifact is gone or of another size, or dated in the future, is never the latest good', async () => {
  const { root } = repositoryWith('20261127_030000', '20261128_030000', '20261129_030000', '29991231_030000');
  writeFileSync(join(root, layout.dump('promptbox', '20261128_030000', false)), 'dump-20261128_030000 grown');
  await rm(join(root, layout.dump('promptbox', '20261129_030000', false)));
  const catalog = await readTrustedCatalog(root, new Date('2026-11-30T00:00:00Z'));
  assert.equal(latestGood(catalog, 'database')?.backupId, '20261127_030000');
  assert.deepEqual(catalog.damaged.map((d) => d.backupId), ['20261128_030000', '20261129_030000']);
  assert.deepEqual(catalog.futureDated, ['29991231_030000']);
});

test('prune manifest first: a prune stopped by an artifact it cannot remove has already removed the manifest, so none points at a missing file', async () => {
  const { root } = repositoryWith('20261127_030000', '20261128_030000');
  // The older dump cannot be removed (a directory in its place): the prune stops there.
  const older = layout.dump('promptbox', '20261127_030000', false);
  await rm(join(root, older));
  mkdirSync(join(root, older));
  writeFileSync(join(root, older, 'x'), 'x');
  const retention = createRetentionActivities(activityDeps(root));
  await assert.rejects(retention.deleteBackups({ remove: ['20261127_030000'], increments: [] }));
  assert.deepEqual((await readCatalog(root)).manifests.map((m) => m.backupId), ['20261128_030000']);
});

test('prune keeps the newest dump: whatever the caller decided, the newest good dump and its manifest stay', async () => {
  const { root } = repositoryWith('20261127_030000', '20261128_030000');
  const retention = createRetentionActivities(activityDeps(root));
  await assert.rejects(retention.deleteBackups({ remove: ['20261128_030000'], increments: [] }), /newest good dump/);
  assert.deepEqual((await readCatalog(root)).manifests.map((m) => m.backupId), ['20261127_030000', '20261128_030000']);
  assert.ok((await stat(join(root, layout.dump('promptbox', '20261128_030000', false)))).isFile());
});

test("a running recovery's backup stays: a backup a lease names is kept when the server cannot say the leasing run has ended, and the others go", async () => {
  const { root } = repositoryWith('20261126_030000', '20261127_030000', '20261128_030000');
  await writeLease(root, { workflowId: 'dr-1', runId: 'r-dr-1', purpose: 'recovery', backupIds: ['20261126_030000'], baseBackups: [], takenAt: '2026-11-29T03:00:00.000Z' });
  const retention = createRetentionActivities(activityDeps(root));
  const deletion = await retention.deleteBackups({ remove: ['20261126_030000', '20261127_030000'], increments: [] });
  assert.deepEqual(deletion.keptInUse, [{ backupId: '20261126_030000', by: 'recovery dr-1' }]);
  assert.deepEqual(deletion.deletedBackups, ['20261127_030000']);
  assert.deepEqual((await readCatalog(root)).manifests.map((m) => m.backupId), ['20261126_030000', '20261128_030000']);
  assert.ok((await stat(join(root, layout.dump('promptbox', '20261126_030000', false)))).isFile());
  assert.equal((await readLeases(root)).leases.length, 1, 'a lease whose run cannot be asked about is left in place');
});

test('one writer: the lock is refused while held, names its owner, and can be taken once removed', async () => {
  const root = scratchDir('pbb-invariants-');
  const first = { workflowId: 'backup-1', runId: 'r1', purpose: 'full backup', acquiredAt: '2026-11-29T03:00:00.000Z' };
  assert.equal(await createLock(root, first), true);
  assert.equal(await createLock(root, { ...first, workflowId: 'backup-2', runId: 'r2' }), false);
  assert.deepEqual(await readLockOwner(root), first);
  await removeLock(root);
  assert.equal(await readLockOwner(root), undefined);
  assert.equal(await createLock(root, { ...first, workflowId: 'backup-2', runId: 'r2' }), true);
});

test('the lock never exists without its owner: a newcomer looking while a run takes it finds that owner or no lock at all', async () => {
  const root = scratchDir('pbb-invariants-');
  const owner = { workflowId: 'backup-1', runId: 'r1', purpose: 'full backup', acquiredAt: '2026-11-29T03:00:00.000Z' };
  const lockExists = () => existsSync(join(root, layout.lockDir));
  let ownerless = 0;
  for (let i = 0; i < 50; i += 1) {
    let taken = false;
    const taking = createLock(root, owner).then((ok) => (taken = ok));
    // Look as a newcomer does (activities/repository-lock.ts) while the lock is being taken.
    while (!taken) {
      if (lockExists() && (await readLockOwner(root)) === undefined) ownerless += 1;
      await new Promise((r) => setImmediate(r));
    }
    await taking;
    assert.deepEqual(await readLockOwner(root), owner);
    await removeLock(root);
  }
  assert.equal(ownerless, 0, 'a lock without its owner would be taken for stale and removed from under its run');
  assert.deepEqual(readdirSync(root), [], 'no temporary lock directory is left');
});

test('records parse or are named: a manifest, run record, restore-test result or DR report that does not parse is listed with its file and never used', async () => {
  const { root } = repositoryWith('20261127_030000');
  const torn = (rel: string) => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), '{ "kind": "integ');
  };
  torn(layout.manifest('20261128_030000'));
  torn(layout.runRecord('full'));
  await writeRunRecord(root, { kind: 'images', workflowId: 'w', outcome: 'succeeded', finishedAt: '2026-11-29T03:00:00.000Z' });
  torn(layout.restoreTestRecord('integrity-20261129T030000-abcdefgh'));
  // Valid JSON of the wrong shape: a full restore test's failures are checklist items.
  writeFileSync(join(root, layout.restoreTestRecord('full-20261129T040000-abcdefgh')), JSON.stringify({ id: 'x', kind: 'full', startedAt: '', finishedAt: '', passed: false, checklist: [], failures: [{ artifact: 'db/x', check: 'sha256', ok: false, detail: '' }], checked: 1 }));
  torn(layout.drReport('dr-1', 'json'));

  const catalog = await readCatalog(root);
  assert.deepEqual(catalog.manifests.map((m) => m.backupId), ['20261127_030000']);
  assert.deepEqual(catalog.invalid.map((i) => i.file), [join(root, layout.manifest('20261128_030000'))]);
  const journal = await readRunJournal(root);
  assert.deepEqual(journal.records.map((r) => r.record.kind), ['images']);
  assert.deepEqual(journal.invalid.map((i) => i.file), [join(root, layout.runRecord('full'))]);
  const tests = await readRestoreTestHistory(root);
  assert.deepEqual(tests.results, []);
  assert.deepEqual(tests.invalid.map((i) => i.file).sort(), [layout.restoreTestRecord('full-20261129T040000-abcdefgh'), layout.restoreTestRecord('integrity-20261129T030000-abcdefgh')].map((r) => join(root, r)));
  assert.match(tests.invalid.find((i) => i.file.includes('full-'))?.reason ?? '', /failures\.0\.check/);
  const drills = await readDrReports(root);
  assert.deepEqual(drills.reports, []);
  assert.deepEqual(drills.invalid.map((i) => i.file), [join(root, layout.drReport('dr-1', 'json'))]);
});

test('records written valid: a record its reader would refuse is never written', async () => {
  const root = scratchDir('pbb-invariants-');
  await assert.rejects(writeRunRecord(root, { kind: 'nightly', workflowId: 'w', outcome: 'succeeded', finishedAt: '' } as never));
  await assert.rejects(writeRestoreTestResult(root, { id: 'integrity-x', kind: 'integrity', passed: true }));
  const outside = sampleManifest('20261129_030000');
  outside.database!.artifact.path = '../elsewhere.dump';
  await assert.rejects(writeManifest(root, outside));
  assert.deepEqual(await readdir(root), []);
});
