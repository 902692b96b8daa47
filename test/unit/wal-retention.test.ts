// Covers: core/wal-retention.ts (which base backups and WAL are kept) and the archive's pruning
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
const bases = [
  { id: '20261128_030000', firstSegment: seg(5) },
  { id: '20261129_030000', firstSegment: seg(9) },
  { id: '20261130_030000', firstSegment: seg(12) },
];

test('retention keeps the newest base backups and every segment the oldest kept one needs', () => {
  assert.deepEqual(walRetention(bases, 2), { deleteBaseBackups: ['20261128_030000'], keepFrom: seg(9) });
  assert.deepEqual(walRetention(bases, 5), { deleteBaseBackups: [], keepFrom: seg(5) });
  assert.deepEqual(walRetention([], 2), { deleteBaseBackups: [] }, 'no base backup: all WAL is kept');
  assert.ok(walExpired(seg(8), seg(9)) && walExpired(`${seg(8)}.partial`, seg(9)));
  assert.ok(!walExpired(seg(9), seg(9)) && !walExpired('00000002.history', seg(9)));
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
    const { keepFrom } = walRetention(bases, 2);
    assert.equal(await store.prune(keepFrom!), 6, 'segments 4 to 8 and the partial of 8');

    const left = (await readdir(join(root, layout.wal.segmentsDir))).sort();
    assert.deepEqual(left, ['00000002.history', ...Array.from({ length: 6 }, (_, i) => seg(i + 9))].sort());
    assert.deepEqual([...(await readWalIndex(root)).records.keys()].sort(), left);
    const staged = await store.stage(join(root, 'staged'), bases[1]!.firstSegment);
    assert.equal(staged.segments.length, 7, 'the kept base backup recovers from what is left, every file checked');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
