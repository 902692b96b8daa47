// `dr` commands: launch the recovery runbook, watch its progress, and steer it with signals.
import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import { DR_STEPS, describeInputIssues, drInputSchema, type DrInput, type DrStep } from '../core/dr-input.js';
import { drPosition, type DrProgress, type DrReport } from '../core/dr-report.js';
import { formatDuration } from '../core/duration.js';
import { backupIdFor } from '../repository/layout.js';
import { waitWithProgress } from './progress.js';
import { BACKUP_KIND, BACKUP_SOURCE } from '../core/search-attributes.js';
import { abortSignal, approveSignal, drRecovery, progressQuery, retryStepSignal, skipStepSignal } from '../workflows/dr-runbook.js';

export function formatProgress(p: DrProgress): string {
  const lines = [
    `Recovery ${p.outcome}${p.backupId ? ` from backup ${p.backupId}` : ''}: ${formatDuration(p.elapsedMs)} elapsed, RTO left ${formatDuration(Math.max(0, p.rtoLeftMs))}${p.rtoLeftMs < 0 ? ' (RTO EXCEEDED)' : ''}`,
    ...p.steps.map((s) => {
      const took = s.elapsedMs !== undefined ? formatDuration(s.elapsedMs) : '';
      const flag = s.overBudget ? ' OVER BUDGET' : '';
      const extra = s.skipReason ? ` (${s.skipReason})` : s.error ? ` (${s.error})` : '';
      return `  ${s.title.padEnd(22)} ${s.status.padEnd(21)} ${took.padStart(8)} / ${formatDuration(s.budgetMs)}${flag}${extra}`;
    }),
  ];
  if (p.waitingFor) lines.push(`  waiting for: ${p.waitingFor}`);
  return lines.join('\n');
}

export function formatReport(r: DrReport): string {
  return [formatProgress(r), `  ${r.rto.verdict}`, `  ${r.rpo.verdict}`, ...r.checklist.map((c) => `  ${c.result.padEnd(4)} ${c.item}: ${c.evidence}`)].join('\n');
}

/**
 * The recovery input, validated here as the workflow would: a refused input (an inline password,
 * say) is reported with exit 3 and never started, since history would keep it for good.
 */
async function readDrInput(inputFile: string): Promise<DrInput> {
  const source = `the recovery input ${inputFile}`;
  let text: string;
  try {
    text = await readFile(inputFile, 'utf8');
  } catch (err) {
    throw new ConfigError(source, [`--input: cannot read it (${(err as NodeJS.ErrnoException).code ?? err})`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // Not JSON.parse's message: it quotes the text around the error, which may be a secret.
    throw new ConfigError(source, ['(top level): not valid JSON']);
  }
  const parsed = drInputSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(source, describeInputIssues(parsed.error));
  return raw as DrInput;
}

export async function startDr(client: Client, config: Config, inputFile: string, id?: string) {
  const input = await readDrInput(inputFile);
  return client.workflow.start(drRecovery, {
    taskQueue: config.temporal.taskQueue,
    workflowId: id ?? `dr-${config.source.name}-${backupIdFor(new Date())}`,
    args: [input],
    // Set at start, so the run is found by kind and source before its first step.
    typedSearchAttributes: [
      { key: BACKUP_KIND, value: 'dr' },
      { key: BACKUP_SOURCE, value: config.source.name },
    ],
    staticSummary: `Disaster recovery of ${config.source.name} into ${input.target?.appDir ?? '(no target)'}`,
  });
}

/** Shows the recovery's live progress until it ends, then prints its report (see client/progress.ts). */
export async function watchDr(client: Client, workflowId: string, json: boolean): Promise<DrReport> {
  return waitWithProgress<DrReport>(client, client.workflow.getHandle(workflowId), {
    json,
    format: formatReport,
    position: (h) => h.query(progressQuery).then(drPosition),
  });
}

export async function signalDr(client: Client, workflowId: string, action: string, step: string | undefined, reason: string | undefined): Promise<string> {
  const handle = client.workflow.getHandle(workflowId);
  const needStep = (): DrStep => {
    if (!step || !(DR_STEPS as readonly string[]).includes(step)) throw new Error(`${action}: name a step: ${DR_STEPS.join(', ')}`);
    return step as DrStep;
  };
  if (action === 'approve') await handle.signal(approveSignal);
  else if (action === 'retry') await handle.signal(retryStepSignal, { step: needStep() });
  else if (action === 'skip') await handle.signal(skipStepSignal, { step: needStep(), reason: reason ?? 'skipped by the operator' });
  else if (action === 'abort') await handle.signal(abortSignal, { reason: reason ?? 'aborted by the operator' });
  else throw new Error(`unknown dr action: ${action}`);
  return `${action} sent to ${workflowId}`;
}
