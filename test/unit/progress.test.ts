// Covers: core/progress.ts (rate, time left, terminal and plain lines, when a plain line is
// printed) and drPosition in core/dr-report.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProgressLine, plainLine, progressEvent, ttyLine, workCounts, worthPrinting, type RunPosition } from '../../core/progress.js';
import { drPosition, progressOf, STEP_TITLES, type StepState } from '../../core/dr-report.js';
import { DR_STEPS } from '../../core/dr-input.js';

const startedAt = new Date('2026-11-29T03:00:00Z');
const at = (s: number) => new Date(startedAt.getTime() + s * 1000);
const dumping: RunPosition = { step: 'dump database', stepNo: 1, steps: 7, stepStartedAt: at(0).toISOString(), budgetMs: 30 * 60_000, done: [] };
const observe = (s: number, counts: object, countedAt = s, position = dumping) =>
  ({ workflowId: 'full-backup-x', startedAt, position, counts: workCounts(counts), countedAt: at(countedAt), now: at(s) });

test('the rate is the change in counts between two heartbeats, and the time left follows from the total', () => {
  const first = progressEvent(observe(10, { step: 'restoreDatabase', bytesDone: 100 * 2 ** 20, bytesTotal: 400 * 2 ** 20 }));
  assert.equal(first.bytesPerSecond, undefined, 'one observation has no rate');
  const second = progressEvent(observe(20, { bytesDone: 200 * 2 ** 20, bytesTotal: 400 * 2 ** 20 }), first);
  assert.equal(second.bytesPerSecond, 10 * 2 ** 20);
  assert.equal(second.etaMs, 20_000);
  assert.equal(second.budgetLeftMs, 30 * 60_000 - 20_000);
  // A poll with no new heartbeat keeps the rate instead of dropping to zero.
  const samePoll = progressEvent(observe(21, { bytesDone: 200 * 2 ** 20, bytesTotal: 400 * 2 ** 20 }, 20), second);
  assert.equal(samePoll.bytesPerSecond, 10 * 2 ** 20);
});

test('files count when bytes have no total; a new step starts without a rate', () => {
  const a = progressEvent(observe(0, { filesDone: 10, filesTotal: 110 }));
  const b = progressEvent(observe(5, { filesDone: 60, filesTotal: 110 }), a);
  assert.equal(b.filesPerSecond, 10);
  assert.equal(b.etaMs, 5_000);
  const next = progressEvent(observe(6, { filesDone: 1 }, 6, { ...dumping, step: 'sync images', stepNo: 2 }), b);
  assert.equal(next.filesPerSecond, undefined);
  assert.equal(next.etaMs, undefined);
});

test('heartbeat details give only their counts: other fields and bad numbers are dropped', () => {
  assert.deepEqual(workCounts({ step: 'images', filesDone: 3, itemsSeen: 9, bytesDone: -1, bytesTotal: 'x', missing: ['a'] }), { filesDone: 3 });
  assert.deepEqual(workCounts(undefined), {});
});

test('the line names step, counts, rate, time against the budget and time left', () => {
  const a = progressEvent(observe(10, { bytesDone: 2 ** 20, bytesTotal: 3 * 2 ** 20 }));
  const b = progressEvent(observe(12, { bytesDone: 2 * 2 ** 20, bytesTotal: 3 * 2 ** 20 }), a);
  assert.equal(formatProgressLine(b), '[1/7] dump database · 2.0 MiB of 3.0 MiB · 512.0 KiB/s · 12s of 30m budget · ~2s left');
  const over = progressEvent(observe(31 * 60, {}));
  assert.equal(formatProgressLine(over), '[1/7] dump database · 31m OVER the 30m budget');
});

test('a terminal line redraws in place within the width; a plain line has no control characters', () => {
  const e = progressEvent(observe(65, { filesDone: 12 }));
  const tty = ttyLine(e, 20);
  assert.ok(tty.startsWith('\r\x1b[2K'));
  assert.equal(tty.slice('\r\x1b[2K'.length).length, 19);
  assert.ok(!tty.includes('\n'));
  const plain = plainLine(e);
  assert.equal(plain, '03:01:05 [1/7] dump database · 12 files · 1m5s of 30m budget');
  assert.doesNotMatch(plain, /[\x00-\x1f\x7f]/);
});

test('plain lines are printed when the step changes, or when counts moved and enough time passed', () => {
  const first = progressEvent(observe(0, { filesDone: 1 }));
  assert.equal(worthPrinting(first, undefined, 10_000), true);
  assert.equal(worthPrinting(progressEvent(observe(5, { filesDone: 2 })), first, 10_000), false, 'too soon');
  assert.equal(worthPrinting(progressEvent(observe(30, { filesDone: 1 })), first, 10_000), false, 'nothing moved');
  assert.equal(worthPrinting(progressEvent(observe(10, { filesDone: 2 })), first, 10_000), true);
  assert.equal(worthPrinting(progressEvent(observe(1, {}, 1, { ...dumping, step: 'sync images', stepNo: 2 })), first, 10_000), true, 'new step');
});

test('a recovery reports its running step, its budget and the steps done', () => {
  const steps = DR_STEPS.map((step): StepState => ({ step, title: STEP_TITLES[step], budgetMs: 60_000, status: 'pending', attempts: 1 }));
  Object.assign(steps[0]!, { status: 'done', startedAt: at(0).toISOString(), endedAt: at(3).toISOString() });
  Object.assign(steps[1]!, { status: 'done', startedAt: at(3).toISOString(), endedAt: at(5).toISOString() });
  Object.assign(steps[2]!, { status: 'waiting for approval' });
  const progress = progressOf({ startedAt: at(0).toISOString(), outcome: 'running', rtoTargetMs: 4 * 3_600_000, waitingFor: 'approve', steps }, at(9));
  assert.deepEqual(drPosition(progress), {
    step: 'restore database (approve)',
    stepNo: 3,
    steps: 6,
    budgetMs: 60_000,
    done: [{ step: 'prepare environment', ms: 3000 }, { step: 'start database', ms: 2000 }],
  });
});
