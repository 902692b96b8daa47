// Live progress of a long run while the CLI waits for it: polls the workflow's `progress` query
// (which step, its budget, steps done) and the running activity's last heartbeat (bytes and files
// done, from `describe()`), and shows them as one redrawn line on a terminal, plain lines when
// the output is a pipe or a log, or one JSON object per line for scripts (--json).
import type { Client, WorkflowHandle } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import { rootFailure } from '../core/alerts.js';
import { formatDuration } from '../core/duration.js';
import { plainLine, progressEvent, ttyLine, workCounts, worthPrinting, type ProgressEvent, type RunPosition } from '../core/progress.js';
import { runProgressQuery } from '../workflows/run-progress.js';

export type ProgressMode = 'tty' | 'plain' | 'json';

export interface ProgressOutput {
  mode: ProgressMode;
  write: (text: string) => void;
  /** Terminal width, for the redrawn line. */
  columns: () => number;
}

/** --json: NDJSON on stdout. Otherwise on stderr (stdout keeps the result): redrawn on a terminal, plain lines elsewhere. */
export function progressOutput(json: boolean): ProgressOutput {
  if (json) return { mode: 'json', write: (t) => process.stdout.write(t), columns: () => 0 };
  const err = process.stderr;
  return { mode: err.isTTY ? 'tty' : 'plain', write: (t) => err.write(t), columns: () => err.columns || 80 };
}

/** Writes one JSON object as a line (the --json stream: `progress` and `step` events, then `result` or `error`). */
export function jsonLine(out: ProgressOutput, value: Record<string, unknown>): void {
  out.write(`${JSON.stringify(value)}\n`);
}

export interface FollowOptions {
  out: ProgressOutput;
  /** Where the run is; by default its `progress` query (backups and restore tests). */
  position?: (handle: WorkflowHandle) => Promise<RunPosition>;
  intervalMs?: number;
  /** Plain mode prints a line at most this often unless the step changes. */
  plainEveryMs?: number;
}

/** Shows the run's progress until `result` settles; returns (or throws) what `result` does. */
export async function followRun<R>(client: Client, handle: WorkflowHandle, result: Promise<R>, opts: FollowOptions): Promise<R> {
  const { out } = opts;
  const position = opts.position ?? ((h: WorkflowHandle) => h.query(runProgressQuery));
  const intervalMs = opts.intervalMs ?? 1_000;
  let settled = false;
  const finished = result.then(
    () => undefined,
    () => undefined,
  ).finally(() => (settled = true));

  let previous: ProgressEvent | undefined;
  let printed: ProgressEvent | undefined;
  let stepsShown = 0;
  let onScreen = false; // a redrawn line is on the terminal
  const clearLine = () => {
    if (onScreen) out.write('\r\x1b[2K');
    onScreen = false;
  };

  const show = (event: ProgressEvent, p: RunPosition | undefined) => {
    for (const [i, s] of (p?.done ?? []).entries()) {
      if (i < stepsShown) continue;
      if (out.mode === 'json') jsonLine(out, { type: 'step', workflowId: handle.workflowId, step: s.step, stepNo: i + 1, steps: p!.steps, ms: s.ms });
      else {
        clearLine();
        out.write(`${out.mode === 'plain' ? `${event.at.slice(11, 19)} ` : ''}done [${i + 1}/${p!.steps}] ${s.step} in ${formatDuration(s.ms)}\n`);
      }
    }
    stepsShown = Math.max(stepsShown, p?.done.length ?? 0);
    if (out.mode === 'tty') {
      out.write(ttyLine(event, out.columns()));
      onScreen = true;
    } else if (worthPrinting(event, printed, out.mode === 'json' ? 0 : (opts.plainEveryMs ?? 10_000))) {
      out.write(out.mode === 'json' ? `${JSON.stringify(event)}\n` : `${plainLine(event)}\n`);
      printed = event;
    }
  };

  const poll = async () => {
    const observed = await observe(client, handle, position).catch(() => undefined);
    if (!observed) return; // the server or worker did not answer this time: try again next poll
    const event = progressEvent({ workflowId: handle.workflowId, ...observed, now: new Date() }, previous);
    show(event, observed.position);
    previous = event;
  };

  while (!settled) {
    await poll();
    await Promise.race([finished, new Promise((r) => setTimeout(r, intervalMs))]);
  }
  // Once more after the end, so steps finished since the last poll are shown (needs a worker; skipped if none answers).
  await poll();
  clearLine();
  try {
    return await result;
  } catch (err) {
    if (out.mode === 'json') jsonLine(out, { type: 'error', workflowId: handle.workflowId, error: rootFailure(err) });
    throw err;
  }
}

async function observe(client: Client, handle: WorkflowHandle, position: (h: WorkflowHandle) => Promise<RunPosition>) {
  const [where, description] = await Promise.all([position(handle).catch(() => undefined), handle.describe()]);
  // The running activity's last heartbeat carries the counts (payloads may be encrypted: the
  // client's data converter holds the codec).
  const running = (description.raw.pendingActivities ?? []).find((a) => a.heartbeatDetails?.payloads?.length);
  const details = running ? await decodeFromPayloadsAtIndex<unknown>(client.options.loadedDataConverter, 0, running.heartbeatDetails!.payloads) : undefined;
  const countedAt = optionalTsToMs(running?.lastHeartbeatTime);
  return {
    startedAt: description.startTime,
    ...(where ? { position: where } : {}),
    counts: workCounts(details),
    ...(countedAt !== undefined ? { countedAt: new Date(countedAt) } : {}),
  };
}

/**
 * Waits for a started run with live progress, then prints its result: with --json as the last
 * NDJSON line (`{"type": "result", ...}`), otherwise `format`ted on stdout.
 */
export async function waitWithProgress<R>(
  client: Client,
  handle: WorkflowHandle,
  opts: { json: boolean; format: (result: R) => string; position?: FollowOptions['position'] },
): Promise<R> {
  const out = progressOutput(opts.json);
  if (out.mode === 'json') jsonLine(out, { type: 'started', workflowId: handle.workflowId });
  const result = await followRun(client, handle, handle.result() as Promise<R>, { out, ...(opts.position ? { position: opts.position } : {}) });
  if (out.mode === 'json') jsonLine(out, { type: 'result', workflowId: handle.workflowId, result: result as unknown });
  else process.stdout.write(`${opts.format(result)}\n`);
  return result;
}
