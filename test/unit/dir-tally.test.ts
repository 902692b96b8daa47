// The walk behind the health check's and the status command's mirror figures and the bucket sync's
// totals, and the integrity check's list of mirrored files: every regular file counted (or named)
// once, however the tree is shaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSizes, listFiles, tally, totalOf } from '../../activities/dir-tally.js';

test('tally counts every regular file and its bytes in a deep and a wide tree, skipping excludes, links and nothing else', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pbb-tally-'));
  try {
    let files = 0;
    let bytes = 0;
    const put = async (rel: string, size: number, counted = true) => {
      await mkdir(join(dir, rel, '..'), { recursive: true });
      await writeFile(join(dir, rel), Buffer.alloc(size, 1));
      if (counted) [files, bytes] = [files + 1, bytes + size];
    };
    // Sharded like Prompt Box's storage (ab/cd/<hash>), more directories than run at once.
    for (let i = 0; i < 120; i += 1) await put(`${(i % 40).toString(16).padStart(2, '0')}/${i.toString(16).padStart(2, '0')}/f${i}.png`, i + 1);
    // A flat directory with more files than are stat'ed at once.
    for (let i = 0; i < 100; i += 1) await put(`flat/f${i}`, 7);
    await put('a/b/c/d/e/deep.png', 5000);
    await put('thumbnails/x.webp.tmp', 9, false);
    await put('cache/skipped.png', 11, false);
    await mkdir(join(dir, 'empty/inner'), { recursive: true });
    await symlink(join(dir, 'flat/f0'), join(dir, 'link.png'));

    const progress = { files: 0 };
    assert.deepEqual(await tally(dir, ['*.tmp', 'cache/'], progress), { files, bytes });
    assert.equal(progress.files, files);
    assert.deepEqual(await tally(join(dir, 'absent'), []), { files: 0, bytes: 0 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('listFiles names every regular file once, relative and sorted, in a sharded, flat and deep tree; links and directories are not files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pbb-list-'));
  try {
    const expected: string[] = [];
    const put = async (rel: string) => {
      await mkdir(join(dir, rel, '..'), { recursive: true });
      await writeFile(join(dir, rel), rel);
      expected.push(rel);
    };
    for (let i = 0; i < 120; i += 1) await put(`${(i % 40).toString(16).padStart(2, '0')}/${i.toString(16).padStart(2, '0')}/f${i}.png`);
    for (let i = 0; i < 100; i += 1) await put(`flat/f${i}`);
    await put('a/b/c/d/e/deep.png');
    await mkdir(join(dir, 'empty/inner'), { recursive: true });
    await symlink(join(dir, 'flat/f0'), join(dir, 'link.png'));

    assert.deepEqual(await listFiles(dir), expected.sort());
    assert.deepEqual(await listFiles(join(dir, 'absent')), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('fileSizes gives every regular file its own size by relative path, and totalOf agrees with tally', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pbb-sizes-'));
  try {
    const expected = new Map<string, number>();
    const put = async (rel: string, size: number) => {
      await mkdir(join(dir, rel, '..'), { recursive: true });
      await writeFile(join(dir, rel), Buffer.alloc(size, 2));
      expected.set(rel, size);
    };
    for (let i = 0; i < 120; i += 1) await put(`${(i % 40).toString(16).padStart(2, '0')}/${i.toString(16).padStart(2, '0')}/f${i}.png`, 3 * i);
    await put('a/b/c/d/e/deep.png', 4096);
    await mkdir(join(dir, 'empty/inner'), { recursive: true });
    await symlink(join(dir, 'a/b/c/d/e/deep.png'), join(dir, 'link.png'));

    const sizes = await fileSizes(dir);
    assert.deepEqual(new Map([...sizes].sort()), new Map([...expected].sort()));
    assert.deepEqual(totalOf(sizes), await tally(dir, []));
    assert.equal((await fileSizes(join(dir, 'absent'))).size, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
