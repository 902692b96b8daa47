// Covers: activities/dr-image-copy.ts, DR step 4's one-pass copy of the image mirror into a
// storage directory: what lands there, the hashes it takes on the way, and a rerun after a lost
// worker copying only what is not in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { copyMirror } from '../../activities/dr-image-copy.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function mirrorWith(files: Record<string, Buffer>): Promise<{ dir: string; mirror: string; storage: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'pbb-dr-copy-'));
  const mirror = join(dir, 'mirror');
  for (const [rel, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(mirror, rel)), { recursive: true, mode: 0o700 });
    await writeFile(join(mirror, rel), bytes, { mode: 0o600 });
  }
  return { dir, mirror, storage: join(dir, 'storage') };
}

test('the copy lands every file whole with the app-readable modes and the mirror times, and hashes the originals it was asked for', async () => {
  const original = randomBytes(3 * 1024 * 1024 + 17); // more than one chunk, not a whole number of them
  const thumbnail = randomBytes(900);
  const { dir, mirror, storage } = await mirrorWith({ 'ab/cd/x.png': original, 'thumbnails/ab/cd/x.webp': thumbnail });
  try {
    const to = join(storage, 'ab/cd/x.png');
    const copy = await copyMirror(mirror, storage, new Map([[to, sha256(original)]]), {});
    assert.deepEqual([copy.files, copy.copied, copy.copiedBytes], [2, 2, original.length + thumbnail.length]);
    assert.deepEqual([...copy.hashes], [[to, sha256(original)]], 'only the original asked for is hashed');
    assert.ok((await readFile(to)).equals(original));
    assert.ok((await readFile(join(storage, 'thumbnails/ab/cd/x.webp'))).equals(thumbnail));
    assert.equal((await stat(to)).mode & 0o777, 0o644);
    assert.equal((await stat(dirname(to))).mode & 0o777, 0o755);
    assert.ok(Math.abs((await stat(to)).mtimeMs - (await stat(join(mirror, 'ab/cd/x.png'))).mtimeMs) < 1);
    assert.deepEqual((await readdir(storage)).sort(), ['ab', 'thumbnails'], 'no temporary directory is left');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a sparse file keeps its holes, and its bytes', async () => {
  const { dir, mirror, storage } = await mirrorWith({ 'big.bin': Buffer.from('head') });
  try {
    await truncate(join(mirror, 'big.bin'), 64 * 1024 * 1024);
    await writeFile(join(mirror, 'big.bin'), 'tail', { flag: 'a' });
    await copyMirror(mirror, storage, new Map(), {});
    const copied = await stat(join(storage, 'big.bin'));
    assert.equal(copied.size, 64 * 1024 * 1024 + 4);
    assert.ok(copied.blocks * 512 < 4 * 1024 * 1024, `${copied.blocks} blocks: the holes were written`); // zero chunks of 1 MB are skipped
    assert.ok((await readFile(join(storage, 'big.bin'))).equals(await readFile(join(mirror, 'big.bin'))));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a rerun copies only what is not in place: a damaged original and a missing file, not the intact ones', async () => {
  const [a, b, c] = [randomBytes(5000), randomBytes(6000), randomBytes(700)];
  const { dir, mirror, storage } = await mirrorWith({ 'a.png': a, 'b.png': b, 'thumbnails/c.webp': c });
  try {
    const expected = new Map([[join(storage, 'a.png'), sha256(a)], [join(storage, 'b.png'), sha256(b)]]);
    await copyMirror(mirror, storage, expected, {});
    // As a lost worker or a bad disk leaves it: one original with the right size but other bytes, a thumbnail gone.
    const damaged = Buffer.from(b);
    damaged[10] = (damaged[10] as number) ^ 0xff;
    await writeFile(join(storage, 'b.png'), damaged);
    await rm(join(storage, 'thumbnails/c.webp'));
    const again = await copyMirror(mirror, storage, expected, {});
    assert.deepEqual([again.copied, again.copiedBytes], [2, b.length + c.length]);
    assert.ok((await readFile(join(storage, 'b.png'))).equals(b));
    assert.deepEqual([...again.hashes].sort(), [...expected].sort(), 'the intact original is hashed where it lies, not copied');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a cancelled copy stops, and leaves no half-written file under a final name', async () => {
  const { dir, mirror, storage } = await mirrorWith({ 'a.png': randomBytes(8 * 1024 * 1024) });
  try {
    const cancel = new AbortController();
    cancel.abort(new Error('worker shutting down'));
    await assert.rejects(copyMirror(mirror, storage, new Map(), { signal: cancel.signal }), /worker shutting down/);
    const left = await readdir(storage, { recursive: true });
    assert.ok(!left.includes('a.png'), `${left.join(', ')}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
