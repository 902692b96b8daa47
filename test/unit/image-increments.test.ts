// Covers: activities/image-increments.ts, settling what image runs moved aside into the day's
// increment (docs/REPOSITORY.md, images/incremental): nothing the day holds is overwritten,
// whether a path arrives in a folder the day does not hold yet (moved whole) or in one it does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { settlePendingIncrements } from '../../activities/image-increments.js';
import { layout } from '../../repository/layout.js';
import { scratchDir } from '../scratch.js';

function put(dir: string, rel: string, content: string): void {
  mkdirSync(dirname(join(dir, rel)), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, rel), content, { mode: 0o600 });
}

/** Every file under `dir`, by path, with its content. */
function filesUnder(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[join(entry.parentPath, entry.name).slice(dir.length + 1)] = readFileSync(join(entry.parentPath, entry.name), 'utf8');
  }
  return files;
}

test('settling keeps the day\'s version of every path, moves new folders whole, and leaves no pending folder', async () => {
  const root = scratchDir('pbb-settle-');
  const backupId = '20261130_101500';
  const day = join(root, layout.imagesIncrement(backupId));
  const pending = join(root, layout.imagesIncrementPending(backupId));
  put(day, 'originals/ab/cd/held.png', 'day');
  put(day, 'originals/ab/cd/again.png', 'same');
  // Folders the day does not hold at any depth, and paths beside ones it holds.
  put(pending, 'originals/ab/cd/held.png', 'later');
  put(pending, 'originals/ab/cd/again.png', 'same');
  put(pending, 'originals/ab/cd/new.png', 'new in a held folder');
  put(pending, 'originals/ab/ef/one.png', 'new folder');
  put(pending, 'originals/ab/ef/two.png', 'new folder too');
  put(pending, 'thumbnails/ab/cd/held.webp', 'new top folder');

  await settlePendingIncrements(root);

  const inDay = (rel: string) => `${layout.imagesIncrement(backupId).slice(layout.imagesIncrementsDir.length + 1)}/${rel}`;
  const inVersion = (rel: string) => `${layout.imagesIncrementVersion(backupId).slice(layout.imagesIncrementsDir.length + 1)}/${rel}`;
  assert.deepEqual(filesUnder(join(root, layout.imagesIncrementsDir)), {
    [inDay('originals/ab/cd/held.png')]: 'day',
    [inDay('originals/ab/cd/again.png')]: 'same',
    [inDay('originals/ab/cd/new.png')]: 'new in a held folder',
    [inDay('originals/ab/ef/one.png')]: 'new folder',
    [inDay('originals/ab/ef/two.png')]: 'new folder too',
    [inDay('thumbnails/ab/cd/held.webp')]: 'new top folder',
    [inVersion('originals/ab/cd/held.png')]: 'later',
  });
  assert.deepEqual(readdirSync(join(root, layout.imagesIncrementsDir)).sort(), [inDay(''), inVersion('')].map((p) => p.slice(0, -1)).sort(), 'no pending folder is left');
  for (const entry of readdirSync(join(root, layout.imagesIncrementsDir), { recursive: true, withFileTypes: true })) {
    const mode = statSync(join(entry.parentPath, entry.name)).mode & 0o777;
    assert.equal(mode, entry.isDirectory() ? 0o700 : 0o600, `${join(entry.parentPath, entry.name)}`);
  }
});
