// One step of the DR runbook as an explicit state machine. The workflow feeds it events (the
// runbook reached the step; its activity succeeded, failed past its retries or was cancelled; an
// operator approved, retried, skipped or aborted) and does what the new state says: `running`
// runs the activity once, the two `waiting` states wait for the next event, `done` and `skipped`
// move on, `aborted` stops the recovery. An event that makes no sense in a state is refused with
// the reason and changes nothing. The states are the report's step statuses (`done` is succeeded,
// `waiting for operator` is failed and waiting for a decision): reports and scripts read them.
// Pure: the time of each event is handed in.
//
//   state                  event                    next state
//   pending                reach                    running; waiting for approval if gated;
//                                                   skipped if a skip was sent ahead
//                          skip / retry             pending, the skip kept / withdrawn
//   waiting for approval   approve / skip           running / skipped (a retry is refused)
//   running                succeeded                done
//                          failed                   waiting for operator; running again if a retry
//                                                   was sent meanwhile, skipped if a skip was
//                          skip                     running, its run cancelled: then cancelled ▶ skipped
//                          retry                    running, the retry kept
//                          cancelled, with no skip  aborted: the workflow itself is cancelled
//   waiting for operator   retry / skip             running (a new attempt) / skipped
//   any of these           abort                    aborted, a run cancelled
//   done, skipped, aborted                          final: every event is refused
import type { StepState } from './dr-report.js';

export type OperatorDecision = { action: 'retry' } | { action: 'skip'; reason: string };

export interface StepMachine {
  /** What the progress query and the report show. */
  readonly state: StepState;
  /**
   * A decision sent before the step can act on it: a skip for a step not reached yet (applied when
   * it is) or still running (its run is cancelled), a retry for a step still running (it runs
   * again at once should this run fail).
   */
  readonly decided?: OperatorDecision;
}

export type StepEvent =
  /** The runbook reached the step; `gated`: it must wait for approval first. */
  | { type: 'reach'; gated: boolean }
  | { type: 'approve' }
  | { type: 'succeeded' }
  /** The activity failed past its retries. */
  | { type: 'failed'; error: string }
  /** The activity's run was cancelled: by a skip, or because the workflow itself is cancelled. */
  | { type: 'cancelled' }
  | { type: 'retry' }
  | { type: 'skip'; reason: string }
  /** The operator aborted, the workflow was cancelled, or the recovery failed outside its steps. */
  | { type: 'abort' };

export type Transition =
  /** `cancelRun`: the activity now running must be cancelled (a skip or an abort stops it). */
  | { ok: true; machine: StepMachine; cancelRun: boolean }
  | { ok: false; refused: string };

export function pendingStep(step: StepState['step'], title: string, budgetMs: number): StepMachine {
  return { state: { step, title, budgetMs, status: 'pending', attempts: 0 } };
}

/** Done, skipped or aborted: no event changes it any more. */
export function isFinished(m: StepMachine): boolean {
  return m.state.status === 'done' || m.state.status === 'skipped' || m.state.status === 'aborted';
}

/** What the operator is asked for while the step waits, as the progress query shows it. */
export function waitingFor(s: StepState): string | undefined {
  if (s.status === 'waiting for approval') return `approval before ${s.title} (destructive): send approve`;
  if (s.status === 'waiting for operator') return `${s.title} failed: send retryStep or skipStep (or abort)`;
  return undefined;
}

export function transition(m: StepMachine, event: StepEvent, at: string): Transition {
  const s = m.state;
  const to = (state: StepState, decided?: OperatorDecision, cancelRun = false): Transition => ({ ok: true, machine: decided ? { state, decided } : { state }, cancelRun });
  const refuse = (why = `${event.type} does not apply`): Transition => ({ ok: false, refused: `${s.title} is ${s.status}: ${why}` });
  // Each run is an attempt; a step run again keeps its first start, so its time counts every attempt.
  const run = (): StepState => {
    const { endedAt: _endedAt, error: _error, ...rest } = s;
    return { ...rest, status: 'running', startedAt: s.startedAt ?? at, attempts: s.attempts + 1 };
  };
  const skipped = (reason: string, endedAt = at): StepState => ({ ...s, status: 'skipped', skipReason: reason, endedAt });
  const aborted = (): Transition => to(s.status === 'running' ? { ...s, status: 'aborted', endedAt: at } : { ...s, status: 'aborted' }, undefined, s.status === 'running');

  switch (s.status) {
    case 'pending':
      if (event.type === 'reach') {
        if (m.decided?.action === 'skip') return to(skipped(m.decided.reason));
        return to(event.gated ? { ...s, status: 'waiting for approval' } : run());
      }
      if (event.type === 'skip') return to(s, { action: 'skip', reason: event.reason });
      // Before the step is reached a retry means "run it after all": it withdraws an earlier skip.
      if (event.type === 'retry') return to(s);
      if (event.type === 'abort') return aborted();
      return refuse();

    case 'waiting for approval':
      if (event.type === 'approve') return to(run());
      if (event.type === 'skip') return to(skipped(event.reason));
      if (event.type === 'abort') return aborted();
      if (event.type === 'retry') return refuse('a retry is no approval: send approve');
      return refuse();

    case 'running':
      if (event.type === 'succeeded') return to({ ...s, status: 'done', endedAt: at });
      if (event.type === 'failed') {
        if (m.decided?.action === 'retry') return to(run());
        if (m.decided?.action === 'skip') return to({ ...skipped(m.decided.reason), error: event.error });
        return to({ ...s, status: 'waiting for operator', error: event.error, endedAt: at });
      }
      // Cancelled without a skip: the workflow itself is being cancelled.
      if (event.type === 'cancelled') return m.decided?.action === 'skip' ? to(skipped(m.decided.reason)) : aborted();
      if (event.type === 'skip') return to(s, { action: 'skip', reason: event.reason }, true);
      if (event.type === 'retry') return m.decided?.action === 'skip' ? refuse('the skip already cancelled this run') : to(s, { action: 'retry' });
      if (event.type === 'abort') return aborted();
      return refuse();

    case 'waiting for operator':
      if (event.type === 'retry') return to(run());
      if (event.type === 'skip') return to(skipped(event.reason, s.endedAt));
      if (event.type === 'abort') return aborted();
      return refuse(`${event.type} does not apply: send retryStep or skipStep (or abort)`);

    case 'done':
    case 'skipped':
    case 'aborted':
      return refuse(`${event.type} changes nothing any more`);
  }
}
