// dr-reports/: the report of every recovery (the DR runbook, on its own or inside a full restore
// test), as JSON for the metrics and the HTML report and as Markdown for a person, beside the list
// of every image it found missing, corrupt or rebuilt.
import { join } from 'node:path';
import { z } from 'zod';
import { CHECKLIST_ITEMS } from '../core/checklist.js';
import { DR_STEPS } from '../core/dr-input.js';
import type { DrReport } from '../core/dr-report.js';
import { writeFileDurable } from './fs-durable.js';
import { readJsonRecord, readJsonRecords, recordText, type InvalidRecord } from './json-records.js';
import { layout } from './layout.js';

export const checklistItemSchema = z.object({
  item: z.enum(CHECKLIST_ITEMS),
  result: z.enum(['pass', 'fail', 'skip']),
  evidence: z.string(),
});

const count = z.number().int().nonnegative();
const stepSchema = z.object({
  step: z.enum(DR_STEPS),
  title: z.string(),
  budgetMs: count,
  status: z.enum(['pending', 'waiting for approval', 'running', 'waiting for operator', 'done', 'skipped', 'aborted']),
  attempts: count,
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  error: z.string().optional(),
  skipReason: z.string().optional(),
  detail: z.string().optional(),
  elapsedMs: z.number().optional(),
  overBudget: z.boolean(),
});

/** Typed as core/dr-report.ts's DrReport, so the two cannot drift apart. */
export const drReportSchema: z.ZodType<DrReport> = z.object({
  startedAt: z.string(),
  now: z.string(),
  backupId: z.string().optional(),
  outcome: z.enum(['running', 'succeeded', 'failed', 'aborted']),
  rtoTargetMs: z.number(),
  elapsedMs: z.number(),
  rtoLeftMs: z.number(),
  waitingFor: z.string().optional(),
  steps: z.array(stepSchema),
  rto: z.object({ actualMs: z.number(), targetMs: z.number(), met: z.boolean(), verdict: z.string() }),
  rpo: z.object({ dataAgeMs: z.number().optional(), targetMs: z.number(), met: z.boolean(), verdict: z.string() }),
  checklist: z.array(checklistItemSchema),
  // Reports of recoveries before the lists were bounded have full lists and no counts.
  images: z.object({
    checked: count,
    missing: z.array(z.string()),
    corrupt: z.array(z.string()),
    thumbnailsRebuilt: z.array(z.string()).optional(),
    missingCount: count.optional(),
    corruptCount: count.optional(),
    thumbnailsRebuiltCount: count.optional(),
    listFile: z.string().optional(),
  }),
});

/** Writes the report as JSON and Markdown; returns the Markdown file. */
export async function writeDrReport(root: string, workflowId: string, report: unknown, markdown: string): Promise<string> {
  const valid = drReportSchema.parse(report);
  await writeFileDurable(join(root, layout.drReport(workflowId, 'json')), recordText(valid));
  const md = join(root, layout.drReport(workflowId, 'md'));
  await writeFileDurable(md, markdown);
  return md;
}

/** The report of one recovery, if it wrote one that parses. */
export async function readDrReport(root: string, workflowId: string): Promise<DrReport | undefined> {
  const read = await readJsonRecord(join(root, layout.drReport(workflowId, 'json')), drReportSchema);
  return 'record' in read ? read.record : undefined;
}

/** Every report, newest file name first, each with its file's base name. */
export async function readDrReports(root: string): Promise<{ reports: Array<DrReport & { id: string }>; invalid: InvalidRecord[] }> {
  const { records, invalid } = await readJsonRecords(join(root, layout.drReportsDir), drReportSchema);
  return { reports: records.reverse().map(({ name, record }) => ({ ...record, id: name.slice(0, -'.json'.length) })), invalid };
}
