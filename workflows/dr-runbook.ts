// drRecovery: the backup doc's six-step disaster-recovery runbook as one durable workflow.
// Each step is an activity timed against its budget; `progress` answers at any time; an
// operator can approve, retry or skip a step and abort the recovery. A step that fails past its
// retries does not fail the recovery: the workflow waits for an operator decision. Abort and
// cancellation stop what was started, in cleanup that cannot itself be cancelled. The result is
// a report (per-step time against budget, RTO and RPO verdicts, checklist), also written as JSON
// and Markdown next to the backups. Each step's gating, retries, skips and abort are its state
// machine's (core/dr-step-machine.ts): signals feed it events, and the step runs what it says.
// With `backup.walTo` the database comes from the WAL archive, recovered to that moment, and the
// images are laid back to the same moment; the report then gives both RPOs against it.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ChosenBackup, DatabaseRecovery, ImageRestoreResult } from '../activities/dr.js';
import { rootFailure } from '../core/alerts.js';
import type { ChecklistItem } from '../core/checklist.js';
import { checklistVerdicts } from '../core/checklist-verdicts.js';
import type { DrInput } from '../core/dr-input.js';
import { DR_STEPS, type DrStep } from '../core/dr-steps.js';
import { drReport, pointInTimeRpoVerdict, progressOf, reportMarkdown, rpoVerdict, STEP_TITLES, type DrProgress, type DrReport } from '../core/dr-report.js';
import { isFinished, pendingStep, transition, waitingFor, type StepEvent, type StepMachine } from '../core/dr-step-machine.js';
import { BACKUP_ID, BACKUP_KIND, BACKUP_OUTCOME, DR_OVER_BUDGET, DR_RPO_SECONDS, DR_RTO_SECONDS, DR_STEP } from '../core/search-attributes.js';
import { drOverBudget, drSummary } from '../core/audit-summary.js';
import { DR_QUICK_OPTIONS, drStepOptions } from './options.js';
import { recordSummary } from './run-outcome.js';

export const progressQuery = defineQuery<DrProgress>('progress');
export const approveSignal = defineSignal<[]>('approve');
export const retryStepSignal = defineSignal<[{ step: DrStep }]>('retryStep');
export const skipStepSignal = defineSignal<[{ step: DrStep; reason: string }]>('skipStep');
export const abortSignal = defineSignal<[{ reason: string }]>('abort');

/** The steps that write over data: with `approval` in the input, they wait for `approve`. */
const DESTRUCTIVE: ReadonlySet<DrStep> = new Set(['restoreDatabase', 'restoreImages']);

const quick = proxyActivities<Activities>(DR_QUICK_OPTIONS);

class Aborted extends Error {}

export async function drRecovery(rawInput: DrInput): Promise<DrReport> {
  // Loaded here, not with the module: zod's evaluation would otherwise cost every new run of every
  // workflow (worker/workflow-bundle.ts). No command comes before it, so replay is unchanged.
  const { describeInputIssues, drInputSchema } = await import('../core/dr-input.js');
  const parsed = drInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`invalid drRecovery input: ${describeInputIssues(parsed.error).join('; ')}`, 'ConfigInvalid');
  }
  const input = parsed.data;
  const info = workflowInfo();
  const startedAt = new Date().toISOString();
  upsertSearchAttributes([
    { key: BACKUP_KIND, value: 'dr' },
    { key: BACKUP_OUTCOME, value: 'running' },
  ]);

  const recovery = { backupId: undefined as string | undefined, outcome: 'running' as DrProgress['outcome'] };
  const machines = Object.fromEntries(DR_STEPS.map((step) => [step, pendingStep(step, STEP_TITLES[step], input.budgets[step])])) as Record<DrStep, StepMachine>;
  let approved = !input.approval;
  let abortReason: string | undefined;
  /** The running step's activity, for a skip or an abort to cancel. */
  let running: CancellationScope | undefined;

  /** One event into a step's machine. A refused one changes nothing: signals cannot answer, so it is logged. */
  function feed(step: DrStep, event: StepEvent): void {
    if (!DR_STEPS.includes(step)) return void log.warn(`ignored ${event.type}: there is no step ${JSON.stringify(step)}`);
    const next = transition(machines[step], event, new Date().toISOString());
    if (!next.ok) return void log.warn(`ignored ${event.type}: ${next.refused}`);
    machines[step] = next.machine;
    if (next.cancelRun) running?.cancel();
  }
  const abortSteps = () => DR_STEPS.filter((step) => !isFinished(machines[step])).forEach((step) => feed(step, { type: 'abort' }));

  function progress(): DrProgress {
    const steps = DR_STEPS.map((step) => machines[step].state);
    return progressOf({ startedAt, ...recovery, rtoTargetMs: input.budgets.rto, waitingFor: steps.map(waitingFor).find(Boolean), steps }, new Date());
  }

  setHandler(progressQuery, progress);
  setHandler(approveSignal, () => {
    approved = true; // also for the destructive steps not reached yet
    DR_STEPS.filter((step) => machines[step].state.status === 'waiting for approval').forEach((step) => feed(step, { type: 'approve' }));
  });
  setHandler(retryStepSignal, ({ step }) => feed(step, { type: 'retry' }));
  setHandler(skipStepSignal, ({ step, reason }) => feed(step, { type: 'skip', reason }));
  setHandler(abortSignal, ({ reason }) => {
    abortReason = reason;
    abortSteps();
  });

  /** Runs one step as its machine says, until it is done or skipped (its value, if it ran) or aborted (throws). */
  async function step<T>(name: DrStep, work: (acts: Activities) => Promise<T>): Promise<T | undefined> {
    const acts = proxyActivities<Activities>(drStepOptions(STEP_TITLES[name], input.budgets[name], input));
    if (!isFinished(machines[name])) feed(name, { type: 'reach', gated: DESTRUCTIVE.has(name) && !approved });
    let value: T | undefined;
    for (;;) {
      const { status } = machines[name].state;
      if (status === 'running') value = await attempt(name, () => work(acts));
      else if (status === 'waiting for approval' || status === 'waiting for operator') await condition(() => machines[name].state.status !== status);
      else if (status === 'aborted') throw new Aborted(abortReason);
      else return value; // done, or skipped
    }
  }

  /** One run of a step's activity, cancellable by a skip or an abort; its outcome goes to the step's machine. */
  async function attempt<T>(name: DrStep, work: () => Promise<T>): Promise<T | undefined> {
    upsertSearchAttributes([{ key: DR_STEP, value: name }]);
    const settle = (event: StepEvent) => {
      if (machines[name].state.status === 'running') feed(name, event); // a run an abort already ended has no outcome to report
    };
    try {
      running = new CancellationScope();
      const value = await running.run(work);
      settle({ type: 'succeeded' });
      return value;
    } catch (err) {
      settle(isCancellation(err) ? { type: 'cancelled' } : { type: 'failed', error: rootFailure(err).message });
      // Cancelled with neither a skip nor an abort: the workflow itself is cancelled, and ends so.
      if (machines[name].state.status === 'aborted' && abortReason === undefined) throw err;
      return undefined;
    } finally {
      running = undefined;
    }
  }

  let backup: ChosenBackup | undefined;
  let images: ImageRestoreResult | undefined;
  let dbRestored: string | undefined;
  /** Step 3's outcome when it recovered from the WAL archive (`backup.walTo`). */
  let walRecovered: DatabaseRecovery | undefined;
  let verify: ChecklistItem[] = [];
  try {
    const chosen = await quick.drChooseBackup({ ...input.backup });
    backup = chosen;
    recovery.backupId = chosen.backupId;
    upsertSearchAttributes([{ key: BACKUP_ID, value: chosen.backupId }]);
    if (patched('dr-target-check')) await quick.drCheckTarget({ target: input.target, overwrite: input.overwrite });

    await step('prepare', (a) => a.drPrepare({ target: input.target, config: chosen.config }));
    await step('startDatabase', (a) => a.drStartDatabase({ target: input.target, overwrite: input.overwrite }));
    // `walTo` only (inputs without it run the same commands as before): the database recovered to
    // a moment in a scratch cluster, and the images laid back to that moment.
    if ('wal' in chosen) {
      walRecovered = await step('restoreDatabase', (a) => a.drRecoverDatabase({ target: input.target, wal: chosen.wal }));
      dbRestored = walRecovered?.summary;
    } else dbRestored = await step('restoreDatabase', (a) => a.drRestoreDatabase({ target: input.target, backup: chosen }));
    const asOf = 'wal' in chosen && chosen.wal.to !== 'latest' ? { asOf: chosen.wal.to } : {};
    images = await step('restoreImages', (a) => a.drRestoreImages({ target: input.target, workflowId: info.workflowId, ...asOf }));
    await step('startApp', (a) => a.drStartApp({ target: input.target }));
    verify = (await step('verify', (a) => a.drVerify({ target: input.target, importWaitMs: input.importWait }))) ?? [];
    recovery.outcome = 'succeeded';
  } catch (err) {
    recovery.outcome = err instanceof Aborted || isCancellation(err) ? 'aborted' : 'failed';
    abortSteps();
    // Nothing half-started is left behind, even when the workflow itself is being cancelled.
    await CancellationScope.nonCancellable(() => quick.drStop({ target: input.target, ...(backup && 'wal' in backup ? { wal: backup.wal } : {}) }));
    if (!(err instanceof Aborted)) {
      await CancellationScope.nonCancellable(() => finish(false));
      throw err;
    }
  }
  return CancellationScope.nonCancellable(() => finish(true));

  async function finish(writeReport: boolean): Promise<DrReport> {
    const checklist = [
      ...checklistVerdicts([
        { item: 'database restored', observed: { drStep: machines.restoreDatabase.state, restored: dbRestored } },
        { item: 'images present and intact', observed: { drRestore: images } },
      ]),
      ...verify,
    ];
    const rpo =
      backup && 'wal' in backup
        ? pointInTimeRpoVerdict({ target: backup.wal.to, databaseReachedAt: walRecovered?.reachedAt, imagesAsOf: backup.imagesTakenAt, recoveryStartedAt: startedAt }, input.budgets.rpo)
        : rpoVerdict(backup?.takenAt, startedAt, input.budgets.rpo);
    const report = drReport(progress(), checklist, rpo, images);
    upsertSearchAttributes([
      { key: BACKUP_OUTCOME, value: recovery.outcome },
      { key: DR_RTO_SECONDS, value: Math.round(report.elapsedMs / 1000) },
    ]);
    recordSummary(drSummary(report), [
      { key: DR_OVER_BUDGET, value: drOverBudget(report) },
      ...(report.rpo.dataAgeMs !== undefined ? [{ key: DR_RPO_SECONDS, value: Math.round(report.rpo.dataAgeMs / 1000) }] : []),
    ]);
    if (writeReport) await quick.drWriteReport({ workflowId: info.workflowId, json: report, markdown: reportMarkdown(report, info.workflowId) });
    return report;
  }
}
