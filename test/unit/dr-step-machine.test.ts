// Covers: core/dr-step-machine.ts. Every transition of a DR step, and every event each state
// refuses, so an operator's signal can never put a step somewhere the runbook does not know.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pendingStep, transition, waitingFor, type StepEvent, type StepMachine } from '../../core/dr-step-machine.js';
import type { StepStatus } from '../../core/dr-report.js';

const at = (min: number) => new Date(Date.UTC(2026, 10, 29, 3, min)).toISOString();
const ALL_EVENTS: StepEvent[] = [
  { type: 'reach', gated: false },
  { type: 'approve' },
  { type: 'succeeded' },
  { type: 'failed', error: 'boom' },
  { type: 'cancelled' },
  { type: 'retry' },
  { type: 'skip', reason: 'by hand' },
  { type: 'abort' },
];

/** Feeds events one a minute from minute 1; every one must be accepted. */
function drive(...events: StepEvent[]): { machine: StepMachine; cancelRun: boolean } {
  let machine = pendingStep('restoreDatabase', '3 restore database', 60_000);
  let cancelRun = false;
  events.forEach((event, i) => {
    const next = transition(machine, event, at(i + 1));
    assert.ok(next.ok, `${event.type} refused: ${next.ok ? '' : next.refused}`);
    ({ machine, cancelRun } = next);
  });
  return { machine, cancelRun };
}

const reach: StepEvent = { type: 'reach', gated: false };
const failed: StepEvent = { type: 'failed', error: 'pg_restore: connection refused' };

function assertRefuses(machine: StepMachine, accepted: StepEvent['type'][]): void {
  for (const event of ALL_EVENTS.filter((e) => !accepted.includes(e.type))) {
    const next = transition(machine, event, at(59));
    assert.ok(!next.ok, `${machine.state.status} accepted ${event.type}`);
    assert.match(next.refused, new RegExp(`^3 restore database is ${machine.state.status}: `));
  }
}

test('a reached step runs, counting its attempt from then; an approval gate makes it wait first', () => {
  const { state } = drive(reach).machine;
  assert.deepEqual([state.status, state.attempts, state.startedAt], ['running', 1, at(1)]);
  const gated = drive({ type: 'reach', gated: true }).machine.state;
  assert.deepEqual([gated.status, gated.attempts, gated.startedAt], ['waiting for approval', 0, undefined]);
  assert.equal(drive({ type: 'reach', gated: true }, { type: 'approve' }).machine.state.status, 'running');
});

test('a run that succeeds is done; one that fails past its retries waits for the operator with the error', () => {
  const done = drive(reach, { type: 'succeeded' }).machine.state;
  assert.deepEqual([done.status, done.endedAt], ['done', at(2)]);
  const parked = drive(reach, failed).machine.state;
  assert.deepEqual([parked.status, parked.error, parked.endedAt], ['waiting for operator', 'pg_restore: connection refused', at(2)]);
  assert.equal(waitingFor(parked), '3 restore database failed: send retryStep or skipStep (or abort)');
});

test('retry runs a failed step again as a new attempt, its time counted from the first start', () => {
  const { state } = drive(reach, failed, { type: 'retry' }).machine;
  assert.deepEqual([state.status, state.attempts, state.startedAt, state.endedAt, state.error], ['running', 2, at(1), undefined, undefined]);
});

test('skip ends a failed step keeping why it failed and when; a step waiting for approval is skipped at once', () => {
  const failedThenSkipped = drive(reach, failed, { type: 'skip', reason: 'restored by hand' }).machine.state;
  assert.deepEqual(
    [failedThenSkipped.status, failedThenSkipped.skipReason, failedThenSkipped.error, failedThenSkipped.endedAt],
    ['skipped', 'restored by hand', 'pg_restore: connection refused', at(2)],
  );
  const gatedThenSkipped = drive({ type: 'reach', gated: true }, { type: 'skip', reason: 'not today' }).machine.state;
  assert.deepEqual([gatedThenSkipped.status, gatedThenSkipped.skipReason, gatedThenSkipped.endedAt, gatedThenSkipped.attempts], ['skipped', 'not today', at(2), 0]);
});

test('a skip sent before the step is reached applies when it is, approval or not; a retry sent after it takes it back', () => {
  for (const gated of [false, true]) {
    const { state } = drive({ type: 'skip', reason: 'later' }, { type: 'reach', gated }).machine;
    assert.deepEqual([state.status, state.skipReason, state.attempts, state.endedAt], ['skipped', 'later', 0, at(2)]);
  }
  const early = drive({ type: 'skip', reason: 'later' });
  assert.equal(early.machine.state.status, 'pending', 'the step shows as pending until reached');
  assert.equal(drive({ type: 'skip', reason: 'later' }, { type: 'retry' }, reach).machine.state.status, 'running');
});

test('skip while the step runs cancels the run, and the cancelled run ends as skipped', () => {
  const skipping = drive(reach, { type: 'skip', reason: 'too slow' });
  assert.equal(skipping.cancelRun, true);
  assert.equal(skipping.machine.state.status, 'running', 'running until the cancellation lands');
  const { state } = drive(reach, { type: 'skip', reason: 'too slow' }, { type: 'cancelled' }).machine;
  assert.deepEqual([state.status, state.skipReason, state.error], ['skipped', 'too slow', undefined]);
  // The run failed before the cancellation landed: skipped all the same, with why it failed.
  const raced = drive(reach, { type: 'skip', reason: 'too slow' }, failed).machine.state;
  assert.deepEqual([raced.status, raced.error], ['skipped', 'pg_restore: connection refused']);
  // It succeeded first: done is done.
  assert.equal(drive(reach, { type: 'skip', reason: 'too slow' }, { type: 'succeeded' }).machine.state.status, 'done');
});

test('a retry sent while the step runs is kept: should the run fail, it runs again at once', () => {
  const kept = drive(reach, { type: 'retry' });
  assert.deepEqual([kept.cancelRun, kept.machine.state.status], [false, 'running']);
  const { state } = drive(reach, { type: 'retry' }, failed).machine;
  assert.deepEqual([state.status, state.attempts], ['running', 2]);
  assert.equal(drive(reach, { type: 'retry' }, { type: 'succeeded' }).machine.state.status, 'done');
});

test('abort stops a step wherever it is, cancelling a run; a cancelled run with no skip is an abort (the workflow is cancelled)', () => {
  for (const before of [[], [{ type: 'reach', gated: true }], [reach, failed]] as StepEvent[][]) {
    const stopped = drive(...before, { type: 'abort' });
    assert.deepEqual([stopped.machine.state.status, stopped.cancelRun], ['aborted', false], JSON.stringify(before));
  }
  const running = drive(reach, { type: 'abort' });
  assert.deepEqual([running.machine.state.status, running.cancelRun, running.machine.state.endedAt], ['aborted', true, at(2)]);
  const cancelled = drive(reach, { type: 'cancelled' }).machine.state;
  assert.deepEqual([cancelled.status, cancelled.endedAt], ['aborted', at(2)]);
});

test('each state refuses the events that make no sense in it, and says why', () => {
  const states: Array<[StepStatus, StepMachine, StepEvent['type'][]]> = [
    ['pending', drive().machine, ['reach', 'skip', 'retry', 'abort']],
    ['waiting for approval', drive({ type: 'reach', gated: true }).machine, ['approve', 'skip', 'abort']],
    ['running', drive(reach).machine, ['succeeded', 'failed', 'cancelled', 'skip', 'retry', 'abort']],
    ['waiting for operator', drive(reach, failed).machine, ['retry', 'skip', 'abort']],
    ['done', drive(reach, { type: 'succeeded' }).machine, []],
    ['skipped', drive({ type: 'reach', gated: true }, { type: 'skip', reason: 'x' }).machine, []],
    ['aborted', drive({ type: 'abort' }).machine, []],
  ];
  for (const [status, machine, accepted] of states) {
    assert.equal(machine.state.status, status);
    assertRefuses(machine, accepted);
  }
  const gated = drive({ type: 'reach', gated: true }).machine;
  const retry = transition(gated, { type: 'retry' }, at(9));
  assert.deepEqual(retry, { ok: false, refused: '3 restore database is waiting for approval: a retry is no approval: send approve' });
  assert.equal(waitingFor(gated.state), 'approval before 3 restore database (destructive): send approve');
  const skipping = drive(reach, { type: 'skip', reason: 'x' }).machine;
  assert.equal(transition(skipping, { type: 'retry' }, at(9)).ok, false, 'a retry cannot undo a skip that already cancelled the run');
});
