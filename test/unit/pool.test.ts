// Covers: activities/pool.ts feedPool, the pool the bucket sync hashes copied files in as rclone reports them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { feedPool } from '../../activities/pool.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a fed pool runs at most `limit` items at once and drains only when every item added so far is done, including those added while it ran', async () => {
  let running = 0;
  let most = 0;
  const done: number[] = [];
  const pool = feedPool<number>(2, async (n) => {
    running += 1;
    most = Math.max(most, running);
    await tick(5);
    running -= 1;
    done.push(n);
    if (n === 1) pool.add(10); // work that arrives while the pool runs
  });
  for (const n of [1, 2, 3, 4]) pool.add(n);
  await pool.drained();
  assert.deepEqual(done.sort((a, b) => a - b), [1, 2, 3, 4, 10]);
  assert.equal(most, 2);
  await pool.drained(); // idle: resolves at once
});

test("a fed pool's drain rejects with the first failure after the other items finished", async () => {
  const done: string[] = [];
  const pool = feedPool<string>(3, async (s) => {
    await tick(s === 'bad' ? 1 : 5);
    if (s === 'bad') throw new Error('unreadable');
    done.push(s);
  });
  for (const s of ['a', 'bad', 'b']) pool.add(s);
  await assert.rejects(pool.drained(), /unreadable/);
  assert.deepEqual(done.sort(), ['a', 'b']);
});
