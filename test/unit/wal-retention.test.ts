// Covers: core/wal-retention.ts (which base backups and WAL are kept, and those a recovery leased)
// and the archive's pruning
// (activities/wal-segment-store.ts prune), on real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../config/load.js';
import { CommandRunner } from '../../activities/command.js';
import { SecretStore } from '../../activities/secrets.js';
import { createWalStore } from '../../activities/wal-segment-store.js';
import { ensureDir, writeFileDurable } from '../../repository/fs-durable.js';
import { layout } from '../../repository/layout.js';
import { readWalIndex } from '../../repository/wal-index.js';
import { walExpired, walRetention } from '../../core/wal-retention.js';

const seg = (n: number) => `0000000100000000${n.toString(16).toUpperCase().padStart(8, '0')}`;
const base = (id: string, first: number, last = first + 1) => ({ id, firstSegment: seg(first), lastSegment: seg(last), endedAt: `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T${id.slice(9, 11)}:${id.slice(11, 13)}:30Z` });
// Saturday 28 and Sunday 29 November are ISO week 48, Monday 30 week 49.
const bases = [base('20261128_030000', 5), base('20261129_030000', 9), base('20261130_030000', 12)];
const countOnly = (continuous: number) => ({ continuous, weekly: 0, monthly: 0, timeZone: 'UTC' });

test('retention keeps the newest base backups and every segment the oldest kept one needs', () => {
  const two = walRetention(bases, countOnly(2));
  assert.deepEqual([two.deleteBaseBackups, two.keepFrom, two.keepRanges], [['20261128_030000'], seg(9), []]);
  const five = walRetention(bases, countOnly(5));
  assert.deepEqual([five.deleteBaseBackups, five.keepFrom], [[], seg(5)]);
  assert.deepEqual(walRetention([], countOnly(2)), { deleteBaseBackups: [], keepRanges: [], kept: [] }, 'no base backup: all WAL is kept');
  assert.ok(walExpired(seg(8), two) && walExpired(`${seg(8)}.partial`, two));
  assert.ok(!walExpired(seg(9), two) && !walExpired('00000002.history', two));
});

test('a base backup a running recovery replays from is kept, with every segment after it, until the recovery ends', () => {
  const inUse = walRetention(bases, countOnly(1), new Set(['20261128_030000']));
  assert.deepEqual(inUse.deleteBaseBackups, ['20261129_030000']);
  assert.equal(inUse.keepFrom, seg(5), 'the recovery may replay to any time after its base backup');
  assert.ok(!walExpired(seg(7), inUse) && !walExpired(seg(10), inUse));
  assert.deepEqual(inUse.kept.find((k) => k.id === '20261128_030000')?.reasons, ['read by a running recovery']);
  const ended = walRetention(bases, countOnly(1));
  assert.deepEqual([ended.deleteBaseBackups, ended.keepFrom], [['20261128_030000', '20261129_030000'], seg(12)]);
});

test('retention keeps older base backups by ISO week and month, each with only the WAL that makes it consistent', () => {
  // Every Sunday from 6 September to 29 November 2026, ten segments apart.
  const sundays = Array.from({ length: 13 }, (_, i) => {
    const day = new Date(Date.UTC(2026, 8, 6 + 7 * i, 2));
    const id = `${day.toISOString().slice(0, 10).replaceAll('-', '')}_020000`;
    return base(id, 10 * (i + 1), 10 * (i + 1) + 2);
  });
  const r = walRetention(sundays, { continuous: 2, weekly: 4, monthly: 3, timeZone: 'UTC' });
  assert.deepEqual(r.kept, [
    { id: '20261129_020000', reasons: ['continuous WAL', 'weekly (week 2026-W48)', 'monthly (month 2026-11)'] },
    { id: '20261122_020000', reasons: ['continuous WAL', 'weekly (week 2026-W47)'] },
    { id: '20261115_020000', reasons: ['weekly (week 2026-W46)'] },
    { id: '20261108_020000', reasons: ['weekly (week 2026-W45)'] },
    { id: '20261025_020000', reasons: ['monthly (month 2026-10)'] },
    { id: '20260927_020000', reasons: ['monthly (month 2026-09)'] },
  ]);
  assert.deepEqual(r.deleteBaseBackups, ['20260906_020000', '20260913_020000', '20260920_020000', '20261004_020000', '20261011_020000', '20261018_020000', '20261101_020000']);
  assert.equal(r.keepFrom, seg(120), 'every segment from the older continuous one on');
  assert.deepEqual(r.keepRanges, [
    { from: seg(40), to: seg(42) },
    { from: seg(80), to: seg(82) },
    { from: seg(100), to: seg(102) },
    { from: seg(110), to: seg(112) },
  ]);
  for (const kept of [40, 41, 42, 80, 82, 110, 112, 120, 125, 200]) assert.ok(!walExpired(seg(kept), r), `segment ${kept} is kept`);
  for (const gone of [10, 39, 43, 79, 83, 113, 119]) assert.ok(walExpired(seg(gone), r), `segment ${gone} goes`);
  const monthlyOnly = walRetention(sundays, { continuous: 1, weekly: 0, monthly: 2, timeZone: 'Pacific/Auckland' });
  // 29 November 02:00 UTC is 15:00 in Auckland: still November there; the month before, 25 October.
  assert.deepEqual(monthlyOnly.kept.map((k) => k.id), ['20261129_020000', '20261025_020000']);
});

test('retention never removes a segment that a kept base backup needs, and the index names only what is left', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pbb-wal-retention-'));
  const root = join(dir, 'repo');
  try {
    const config = parseConfig(
      {
        source: { name: 'promptbox', database: { transport: 'direct', host: '127.0.0.1', user: 'u', database: 'd' }, storage: { root: join(dir, 'images') } },
        repository: { root },
      },
      'test config',
      {},
    );
    const store = createWalStore(config, new CommandRunner(new SecretStore(), pino({ level: 'silent' })));
    const archived = [...Array.from({ length: 11 }, (_, i) => seg(i + 4)), `${seg(8)}.partial`, '00000002.history'];
    await ensureDir(join(root, layout.wal.incoming));
    for (const name of archived) {
      await writeFileDurable(join(root, layout.wal.incoming, name), `wal ${name}`);
      await store.archive(name);
    }
    // The newest base backup with all WAL after it; the one before, the newest of ISO week 48, with its own WAL (9 and 10).
    const retention = walRetention(bases, { continuous: 1, weekly: 2, monthly: 0, timeZone: 'UTC' });
    assert.deepEqual(retention.deleteBaseBackups, ['20261128_030000']);
    assert.equal(await store.prune(retention), 7, 'segments 4 to 8, the partial of 8, and 11');

    const left = (await readdir(join(root, layout.wal.segmentsDir))).sort();
    assert.deepEqual(left, ['00000002.history', seg(9), seg(10), seg(12), seg(13), seg(14)].sort());
    assert.deepEqual([...(await readWalIndex(root)).records.keys()].sort(), left);
    const staged = await store.stage(join(root, 'staged'), bases[2]!.firstSegment);
    assert.equal(staged.segments.length, 4, 'the continuous base backup recovers from what is left, every file checked');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
