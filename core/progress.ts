// Live progress of a long run (backup, restore test, recovery) for a terminal, a log or a script.
// Pure: the workflow's `progress` query says which step runs and its budget, the running
// activity's heartbeat says how much work is done; this file turns two such observations into a
// rate and a time left, and renders one line. The polling loop is client/progress.ts.
import { formatBytes } from './bytes.js';
import { formatDuration } from './duration.js';

/** What a run's `progress` query answers: where it is. Queries add no history events. */
export interface RunPosition {
  /** Current step's title ("dump database"), or "done" once the last step finished. */
  step: string;
  /** 1-based number of the current step; 0 before the first. */
  stepNo: number;
  steps: number;
  stepStartedAt?: string;
  /** The step's budget (its activity timeout) in ms, where it has one. */
  budgetMs?: number;
  /** Steps finished so far, in order. */
  done: Array<{ step: string; ms: number }>;
}

/** Counts a long activity heartbeats (never paths or secrets): bytes and files, done and total where known. */
export interface WorkCounts {
  bytesDone?: number;
  bytesTotal?: number;
  filesDone?: number;
  filesTotal?: number;
}

/** Heartbeat details of a long activity: its step and counts (plus whatever it resumes from). */
export type HeartbeatProgress = WorkCounts & { step: string };

const COUNT_FIELDS = ['bytesDone', 'bytesTotal', 'filesDone', 'filesTotal'] as const;

/** The counts in decoded heartbeat details; anything else in them is ignored. */
export function workCounts(details: unknown): WorkCounts {
  const out: WorkCounts = {};
  if (!details || typeof details !== 'object') return out;
  for (const field of COUNT_FIELDS) {
    const v = (details as Record<string, unknown>)[field];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[field] = v;
  }
  return out;
}

/** One progress observation, as printed with --json (one object per line; stable field names). */
export interface ProgressEvent extends WorkCounts {
  type: 'progress';
  workflowId: string;
  at: string;
  step: string;
  stepNo: number;
  steps: number;
  elapsedMs: number;
  stepElapsedMs?: number;
  budgetMs?: number;
  /** Budget minus time spent in the step; negative once over budget. */
  budgetLeftMs?: number;
  bytesPerSecond?: number;
  filesPerSecond?: number;
  /** Time left for the step's work at the current rate, where the total is known. */
  etaMs?: number;
  /** When the counts were last reported by the activity (its last heartbeat). */
  countedAt?: string;
}

export interface Observation {
  workflowId: string;
  startedAt: Date;
  position?: RunPosition;
  counts: WorkCounts;
  countedAt?: Date;
  now: Date;
}

/**
 * A progress event from an observation and the previous event: the rate is the change in counts
 * between the last two heartbeats of the same step (kept while no new heartbeat arrived), so it
 * reflects the work's speed, not how often anyone polls.
 */
export function progressEvent(o: Observation, previous?: ProgressEvent): ProgressEvent {
  const p = o.position ?? { step: 'starting', stepNo: 0, steps: 0, done: [] };
  const stepElapsedMs = p.stepStartedAt ? Math.max(0, o.now.getTime() - Date.parse(p.stepStartedAt)) : undefined;
  const event: ProgressEvent = {
    type: 'progress',
    workflowId: o.workflowId,
    at: o.now.toISOString(),
    step: p.step,
    stepNo: p.stepNo,
    steps: p.steps,
    elapsedMs: Math.max(0, o.now.getTime() - o.startedAt.getTime()),
    ...(stepElapsedMs !== undefined ? { stepElapsedMs } : {}),
    ...(p.budgetMs !== undefined ? { budgetMs: p.budgetMs } : {}),
    ...(p.budgetMs !== undefined && stepElapsedMs !== undefined ? { budgetLeftMs: p.budgetMs - stepElapsedMs } : {}),
    ...o.counts,
    ...(o.countedAt ? { countedAt: o.countedAt.toISOString() } : {}),
  };
  const sameStep = previous !== undefined && previous.stepNo === event.stepNo && previous.step === event.step;
  if (sameStep) {
    const newHeartbeat = event.countedAt !== undefined && previous.countedAt !== undefined && event.countedAt !== previous.countedAt;
    const seconds = newHeartbeat ? (Date.parse(event.countedAt!) - Date.parse(previous.countedAt!)) / 1000 : 0;
    const rate = (now?: number, before?: number, carried?: number) =>
      seconds > 0 && now !== undefined && before !== undefined && now >= before ? (now - before) / seconds : carried;
    const bytesPerSecond = rate(event.bytesDone, previous.bytesDone, previous.bytesPerSecond);
    const filesPerSecond = rate(event.filesDone, previous.filesDone, previous.filesPerSecond);
    if (bytesPerSecond !== undefined) event.bytesPerSecond = bytesPerSecond;
    if (filesPerSecond !== undefined) event.filesPerSecond = filesPerSecond;
  }
  const eta = timeLeft(event);
  if (eta !== undefined) event.etaMs = eta;
  return event;
}

/** Work left over the current rate: bytes where their total is known, else files. */
function timeLeft(e: ProgressEvent): number | undefined {
  if (e.bytesTotal !== undefined && e.bytesDone !== undefined && e.bytesPerSecond) {
    return (Math.max(0, e.bytesTotal - e.bytesDone) / e.bytesPerSecond) * 1000;
  }
  if (e.filesTotal !== undefined && e.filesDone !== undefined && e.filesPerSecond) {
    return (Math.max(0, e.filesTotal - e.filesDone) / e.filesPerSecond) * 1000;
  }
  return undefined;
}

/** The human line, without line ending or control characters. */
export function formatProgressLine(e: ProgressEvent): string {
  const parts = [`${e.steps ? `[${e.stepNo}/${e.steps}] ` : ''}${e.step}`];
  const of = (done: number | undefined, total: number | undefined, fmt: (n: number) => string) =>
    done === undefined ? undefined : total !== undefined ? `${fmt(done)} of ${fmt(total)}` : fmt(done);
  const bytes = of(e.bytesDone, e.bytesTotal, formatBytes);
  const files = of(e.filesDone, e.filesTotal, String);
  if (bytes) parts.push(bytes);
  if (files) parts.push(`${files} files`);
  if (e.bytesPerSecond) parts.push(`${formatBytes(e.bytesPerSecond)}/s`);
  else if (e.filesPerSecond) parts.push(`${e.filesPerSecond.toFixed(1)} files/s`);
  if (e.stepElapsedMs !== undefined) {
    const budget = e.budgetMs !== undefined && e.budgetLeftMs !== undefined
      ? e.budgetLeftMs >= 0
        ? ` of ${formatDuration(e.budgetMs)} budget`
        : ` OVER the ${formatDuration(e.budgetMs)} budget`
      : '';
    parts.push(`${formatDuration(e.stepElapsedMs)}${budget}`);
  }
  if (e.etaMs !== undefined) parts.push(`~${formatDuration(e.etaMs)} left`);
  return parts.join(' · ');
}

/** For a terminal: back to the line's start, clear it, and draw it no wider than the terminal. */
export function ttyLine(e: ProgressEvent, columns: number): string {
  const line = formatProgressLine(e);
  const width = Math.max(10, columns - 1);
  return `\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`;
}

/**
 * For logs and pipes, a plain line is worth printing when the step changed, or when counts moved
 * and at least `everyMs` passed since the last printed line (a 3-hour restore is not 10,000 lines).
 */
export function worthPrinting(e: ProgressEvent, lastPrinted: ProgressEvent | undefined, everyMs: number): boolean {
  if (!lastPrinted) return true;
  if (e.stepNo !== lastPrinted.stepNo || e.step !== lastPrinted.step) return true;
  const moved = COUNT_FIELDS.some((f) => e[f] !== lastPrinted[f]);
  return moved && Date.parse(e.at) - Date.parse(lastPrinted.at) >= everyMs;
}

/** A plain line: time of day, then the progress line. */
export function plainLine(e: ProgressEvent): string {
  return `${e.at.slice(11, 19)} ${formatProgressLine(e)}`;
}
