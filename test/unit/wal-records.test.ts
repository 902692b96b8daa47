// Covers: the WAL archive's records in docs/REPOSITORY.md (repository/wal-index.ts,
// base-backups.ts, wal-receiver.ts), each test named after the invariant it holds: a torn or
// foreign record is listed as invalid and never used or thrown, and writers refuse what their
// readers would refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readBaseBackups, writeBaseBackupRecord, type BaseBackupRecord } from '../../repository/base-backups.js';
import { layout } from '../../repository/layout.js';
import { appendWalIndex, readWalIndex, type ArchivedWal } from '../../repository/wal-index.js';
import { readReceiverRecord } from '../../repository/wal-receiver.js';
import { scratchDir } from '../scratch.js';

const sha = (c: string) => c.repeat(64);
const segment = (n: number) => `00000001000000000000000${n}`;

function baseBackup(id: string): BaseBackupRecord {
  return {
    id,
    pgMajor: 16,
    timeline: 1,
    startLsn: '0/3000028',
    endLsn: '0/3000100',
    firstSegment: segment(3),
    startedAt: '2026-11-30T08:00:00.000Z',
    endedAt: '2026-11-30T08:00:05.000Z',
    file: layout.wal.baseArchive(id, false),
    sha256: sha('a'),
    bytes: 1024,
    encrypted: false,
  };
}

const archived = (name: string): ArchivedWal => ({ name, sha256: sha('b'), bytes: 16, encrypted: false, archivedAt: '2026-11-30T08:00:00.000Z' });

function writeRaw(root: string, rel: string, text: string): void {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), text);
}

test('records parse or are named: a base backup whose record is torn, of the wrong shape or another one\'s is listed as invalid, and the others still read', async () => {
  const root = scratchDir('pbb-wal-records-');
  await writeBaseBackupRecord(root, baseBackup('20261128_030000'));
  await writeBaseBackupRecord(root, baseBackup('20261130_030000'));
  writeRaw(root, layout.wal.baseRecord('20261129_030000'), '{ "id": "20261129_0300');
  writeRaw(root, layout.wal.baseRecord('20261129_040000'), JSON.stringify({ ...baseBackup('20261129_040000'), pgMajor: '16' }));
  writeRaw(root, layout.wal.baseRecord('20261129_050000'), JSON.stringify({ ...baseBackup('20261129_050000'), file: '../../etc/passwd' }));
  writeRaw(root, layout.wal.baseRecord('20261129_060000'), JSON.stringify(baseBackup('20261128_030000')));
  // Packed but never recorded (a worker lost before the last step): not a base backup, and not a record either.
  writeRaw(root, layout.wal.baseArchive('20261129_070000', false), 'tar');

  const { backups, invalid } = await readBaseBackups(root);
  assert.deepEqual(backups.map((b) => b.id), ['20261128_030000', '20261130_030000']);
  assert.deepEqual(
    invalid.map((i) => i.file),
    ['20261129_030000', '20261129_040000', '20261129_050000', '20261129_060000'].map((id) => join(root, layout.wal.baseRecord(id))),
  );
  assert.match(invalid[0]!.reason, /not JSON/);
  assert.match(invalid[1]!.reason, /^pgMajor: /);
  assert.match(invalid[2]!.reason, /^file: /);
  assert.match(invalid[3]!.reason, /names base backup 20261128_030000/);
});

test('records parse or are named: a torn last index line is skipped without a word, a foreign line is listed with its number', async () => {
  const root = scratchDir('pbb-wal-records-');
  const lines = [archived(segment(1)), { ...archived(segment(2)), bytes: '16' }, archived(segment(3)), { ...archived(segment(1)), sha256: sha('c') }];
  writeRaw(root, layout.wal.index, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"name":"${segment(4)}","sha2`);

  const { records, invalid } = await readWalIndex(root);
  assert.deepEqual([...records.keys()], [segment(1), segment(3)]);
  assert.equal(records.get(segment(1))!.sha256, sha('c'), 'the newest line of a name wins');
  assert.deepEqual(invalid.map((i) => i.file), [`${join(root, layout.wal.index)}:2`]);
  assert.match(invalid[0]!.reason, /^bytes: /);
  assert.deepEqual(await readWalIndex(scratchDir('pbb-wal-records-')), { records: new Map(), invalid: [] }, 'no archive yet');
});

test('records parse or are named: a line appended after a torn one is read, not joined to it', async () => {
  const root = scratchDir('pbb-wal-records-');
  await appendWalIndex(root, archived(segment(1)));
  writeFileSync(join(root, layout.wal.index), `{"name":"${segment(2)}","sha256":"bb`, { flag: 'a' });
  await appendWalIndex(root, archived(segment(2))); // the archiver archives the torn line's file again
  assert.deepEqual([...(await readWalIndex(root)).records.keys()], [segment(1), segment(2)]);
  assert.equal((await readFile(join(root, layout.wal.index), 'utf8')).split('\n').length, 3, 'two lines, the torn one cut off');
});

test('records parse or are named: a torn or foreign receiver record names no process', async () => {
  const root = scratchDir('pbb-wal-records-');
  assert.equal(await readReceiverRecord(root), undefined);
  writeRaw(root, layout.wal.receiver, '{"pid":12');
  const torn = await readReceiverRecord(root);
  assert.ok(torn && 'reason' in torn, 'a torn record is read as one, not thrown');
  writeRaw(root, layout.wal.receiver, '{"pid":1}\n');
  assert.ok('reason' in (await readReceiverRecord(root))!, 'pid 1 (or 0, -1: every process) is never one to signal');
});

test('records written valid: a base backup record or index line its reader would refuse is never written', async () => {
  const root = scratchDir('pbb-wal-records-');
  await assert.rejects(writeBaseBackupRecord(root, { ...baseBackup('20261130_030000'), file: 'db/elsewhere' }));
  await assert.rejects(writeBaseBackupRecord(root, { ...baseBackup('20261130_030000'), endedAt: 'yesterday' }));
  await assert.rejects(appendWalIndex(root, archived('../../etc/passwd')));
  await assert.rejects(appendWalIndex(root, { ...archived(segment(1)), sha256: 'not a hash' }));
  assert.deepEqual(await readdir(root), []);
});
