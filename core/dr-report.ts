// The disaster-recovery runbook's bookkeeping: per-step status and time against budget, the RTO
// left, and the final report with RTO and RPO verdicts. Pure: the workflow keeps the state, the
// progress query and the report are computed from it.
import { checklistPassed, type ChecklistItem } from './checklist.js';
import type { DrStep } from './dr-input.js';
import { formatDuration } from './duration.js';
import type { RunPosition } from './progress.js';

export type StepStatus = 'pending' | 'waiting for approval' | 'running' | 'waiting for operator' | 'done' | 'skipped' | 'aborted';

export interface StepState {
  step: DrStep;
  title: string;
  budgetMs: number;
  status: StepStatus;
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  error?: string;
  skipReason?: string;
  detail?: string;
}

export interface StepProgress extends StepState {
  elapsedMs?: number;
  overBudget: boolean;
}

export interface DrProgress {
  startedAt: string;
  now: string;
  backupId?: string;
  outcome: 'running' | 'succeeded' | 'failed' | 'aborted';
  rtoTargetMs: number;
  elapsedMs: number;
  rtoLeftMs: number;
  waitingFor?: string;
  steps: StepProgress[];
}

export interface DrReport extends DrProgress {
  rto: { actualMs: number; targetMs: number; met: boolean; verdict: string };
  /**
   * A dump's restore: `dataAgeMs` is its age at recovery start. A recovery from the WAL archive
   * (`pointInTime`): the data lost against the moment asked for, the larger of the database's and
   * the images'.
   */
  rpo: { dataAgeMs?: number; targetMs: number; met: boolean; verdict: string; pointInTime?: PointInTimeRpo };
  checklist: ChecklistItem[];
  /**
   * Step 4's outcome. The lists hold the first names (core/bounded-names.ts), the counts the
   * totals, `listFile` (relative to the repository) every name. Reports of older recoveries have
   * full lists and no counts, nor thumbnailsRebuilt.
   */
  images: {
    checked: number;
    missing: string[];
    corrupt: string[];
    /** Thumbnails absent from the backup, rebuilt from their original as the app makes them. */
    thumbnailsRebuilt?: string[];
    missingCount?: number;
    corruptCount?: number;
    thumbnailsRebuiltCount?: number;
    listFile?: string;
    /** A recovery to a moment: the increment folders laid over the mirror, newest first (the oldest wins). */
    increments?: string[];
  };
}

/** What a recovery from the WAL archive reached, beside the moment asked for. */
export interface PointInTimeRpo {
  /** "latest" or the ISO time asked for. */
  target: string;
  /** The commit time of the last transaction replayed. */
  databaseReachedAt?: string;
  /** The moment asked for (for "latest", the recovery's start) minus the point reached. */
  databaseRpoMs?: number;
  /** When the newest image backup started: the source's files of that moment are all in the backup. */
  imagesAsOf?: string;
  /** The same moment minus imagesAsOf; nothing when an image backup started after it. */
  imagesRpoMs?: number;
}

export const STEP_TITLES: Record<DrStep, string> = {
  prepare: '1 prepare environment',
  startDatabase: '2 start database',
  restoreDatabase: '3 restore database',
  restoreImages: '4 restore images',
  startApp: '5 start application',
  verify: '6 verify',
};

export function stepProgress(s: StepState, now: Date): StepProgress {
  const end = s.endedAt ? Date.parse(s.endedAt) : now.getTime();
  const elapsedMs = s.startedAt ? end - Date.parse(s.startedAt) : undefined;
  return { ...s, ...(elapsedMs !== undefined ? { elapsedMs } : {}), overBudget: elapsedMs !== undefined && elapsedMs > s.budgetMs };
}

export function progressOf(
  state: { startedAt: string; backupId?: string; outcome: DrProgress['outcome']; rtoTargetMs: number; waitingFor?: string; steps: StepState[] },
  now: Date,
): DrProgress {
  const elapsedMs = now.getTime() - Date.parse(state.startedAt);
  return {
    startedAt: state.startedAt,
    now: now.toISOString(),
    ...(state.backupId ? { backupId: state.backupId } : {}),
    outcome: state.outcome,
    rtoTargetMs: state.rtoTargetMs,
    elapsedMs,
    rtoLeftMs: state.rtoTargetMs - elapsedMs,
    ...(state.waitingFor ? { waitingFor: state.waitingFor } : {}),
    steps: state.steps.map((s) => stepProgress(s, now)),
  };
}

/** The recovery's position in the shape every live progress display reads (client/progress.ts). */
export function drPosition(p: DrProgress): RunPosition {
  const title = (s: StepProgress) => s.title.replace(/^\d+ /, '');
  const index = p.steps.findIndex((s) => s.status === 'running' || s.status.startsWith('waiting'));
  const current = p.steps[index];
  const done = p.steps.filter((s) => s.status === 'done' || s.status === 'skipped').map((s) => ({ step: title(s), ms: s.elapsedMs ?? 0 }));
  if (!current) return { step: p.outcome === 'running' ? (done.length ? 'between steps' : 'choosing the backup') : p.outcome, stepNo: done.length, steps: p.steps.length, done };
  return {
    step: current.status === 'running' ? title(current) : `${title(current)} (${p.waitingFor ?? current.status})`,
    stepNo: index + 1,
    steps: p.steps.length,
    ...(current.startedAt ? { stepStartedAt: current.startedAt } : {}),
    budgetMs: current.budgetMs,
    done,
  };
}

/**
 * The RTO is met only by a recovery that gave back a working app: all steps ran and the
 * checklist passed, within the target. An aborted or failed recovery, or one whose checklist
 * failed, did not recover anything in time, however quickly it stopped.
 */
export function rtoVerdict(progress: DrProgress, checklistPassed: boolean): DrReport['rto'] {
  const over = progress.steps.filter((s) => s.overBudget);
  const overText = over.length
    ? `; over budget: ${over.map((s) => `${s.title} (${formatDuration(s.elapsedMs ?? 0)} of ${formatDuration(s.budgetMs)})`).join(', ')}`
    : '; every step within its budget';
  const elapsed = `${formatDuration(progress.elapsedMs)} of ${formatDuration(progress.rtoTargetMs)}`;
  const recovered = progress.outcome === 'succeeded' && checklistPassed;
  const met = recovered && progress.elapsedMs <= progress.rtoTargetMs;
  const why = progress.outcome !== 'succeeded' ? ` (recovery ${progress.outcome})` : !checklistPassed ? ' (the checklist failed: the app is not verified working)' : '';
  return {
    actualMs: progress.elapsedMs,
    targetMs: progress.rtoTargetMs,
    met,
    verdict: `RTO ${met ? 'met' : recovered ? 'MISSED' : 'NOT MET'}${why}: ${elapsed}${overText}`,
  };
}

/** The totals of an image restore, from its counts or (older results) its full lists. */
export function imageCounts(images: DrReport['images']): { missing: number; corrupt: number; rebuilt: number } {
  return {
    missing: images.missingCount ?? images.missing.length,
    corrupt: images.corruptCount ?? images.corrupt.length,
    rebuilt: images.thumbnailsRebuiltCount ?? images.thumbnailsRebuilt?.length ?? 0,
  };
}

/**
 * The recovery's report: its progress at the end, judged against the RTO (met only if the
 * checklist passed) and the RPO. `images` is step 4's outcome, absent when it did not run.
 */
export function drReport(progress: DrProgress, checklist: ChecklistItem[], rpo: DrReport['rpo'], images?: DrReport['images']): DrReport {
  return {
    ...progress,
    rto: rtoVerdict(progress, checklistPassed(checklist)),
    rpo,
    checklist,
    images: images ?? { checked: 0, missing: [], corrupt: [], thumbnailsRebuilt: [] },
  };
}

export function rpoVerdict(dataTakenAt: string | undefined, recoveryStartedAt: string, targetMs: number): DrReport['rpo'] {
  if (!dataTakenAt) return { targetMs, met: false, verdict: 'RPO unknown: no backup was restored' };
  const dataAgeMs = Date.parse(recoveryStartedAt) - Date.parse(dataTakenAt);
  const met = dataAgeMs <= targetMs;
  return { dataAgeMs, targetMs, met, verdict: `RPO ${met ? 'met' : 'MISSED'}: restored data was ${formatDuration(dataAgeMs)} old at recovery start (target ${formatDuration(targetMs)})` };
}

/**
 * The RPO of a recovery from the WAL archive, database and images each against the moment asked
 * for (for "latest", the recovery's start: what the archive could not give back). Images are
 * complete as of the newest image backup's start; one that started after the moment loses nothing.
 */
export function pointInTimeRpoVerdict(
  opts: { target: string; databaseReachedAt?: string; imagesAsOf?: string; recoveryStartedAt: string },
  targetMs: number,
): DrReport['rpo'] {
  const moment = Date.parse(opts.target === 'latest' ? opts.recoveryStartedAt : opts.target);
  const lost = (at: string) => Math.max(0, moment - Date.parse(at));
  const databaseRpoMs = opts.databaseReachedAt ? lost(opts.databaseReachedAt) : undefined;
  const imagesRpoMs = opts.imagesAsOf ? lost(opts.imagesAsOf) : undefined;
  const pointInTime: PointInTimeRpo = {
    target: opts.target,
    ...(opts.databaseReachedAt ? { databaseReachedAt: opts.databaseReachedAt, databaseRpoMs } : {}),
    ...(opts.imagesAsOf ? { imagesAsOf: opts.imagesAsOf, imagesRpoMs } : {}),
  };
  const asked = opts.target === 'latest' ? 'the recovery start (target "latest")' : `the target ${opts.target}`;
  if (databaseRpoMs === undefined) {
    return { targetMs, met: false, verdict: `RPO unknown: the database was not recovered from the WAL archive to ${asked}`, pointInTime };
  }
  const images =
    imagesRpoMs === undefined
      ? 'no image backup: images unknown'
      : `images as of the image backup started ${opts.imagesAsOf}, ${imagesRpoMs ? `${formatDuration(imagesRpoMs)} before it` : 'after it: none lost'}`;
  const dataAgeMs = Math.max(databaseRpoMs, imagesRpoMs ?? 0);
  const met = imagesRpoMs !== undefined && dataAgeMs <= targetMs;
  return {
    dataAgeMs,
    targetMs,
    met,
    verdict: `RPO ${met ? 'met' : 'MISSED'}: database recovered to ${opts.databaseReachedAt}, ${formatDuration(databaseRpoMs)} before ${asked}; ${images} (target ${formatDuration(targetMs)})`,
    pointInTime,
  };
}

export function reportMarkdown(r: DrReport, workflowId: string): string {
  const row = (s: StepProgress) =>
    `| ${s.title} | ${s.status}${s.skipReason ? ` (${s.skipReason})` : ''} | ${s.elapsedMs !== undefined ? formatDuration(s.elapsedMs) : '-'} | ${formatDuration(s.budgetMs)} | ${s.overBudget ? 'OVER' : 'ok'} |`;
  return [
    `# Disaster recovery report: ${workflowId}`,
    '',
    `Outcome: **${r.outcome}**. Backup restored: ${r.backupId ?? 'none'}. Started ${r.startedAt}.`,
    '',
    `- ${r.rto.verdict}`,
    `- ${r.rpo.verdict}`,
    '',
    '| step | status | took | budget | |',
    '|---|---|---|---|---|',
    ...r.steps.map(row),
    '',
    '## Checklist',
    '',
    ...r.checklist.map((c) => `- **${c.result}** ${c.item}: ${c.evidence}`),
    '',
    `## Images: ${r.images.checked} checked, ${imageCounts(r.images).missing} missing, ${imageCounts(r.images).corrupt} corrupt, ${imageCounts(r.images).rebuilt} thumbnails rebuilt`,
    ...(r.images.listFile ? [`Every file named in ${r.images.listFile} in the repository; the first ones:`] : []),
    ...r.images.missing.map((p) => `- missing: ${p}`),
    ...r.images.corrupt.map((p) => `- corrupt: ${p}`),
    ...(r.images.thumbnailsRebuilt ?? []).map((p) => `- thumbnail rebuilt: ${p}`),
    '',
  ].join('\n');
}
