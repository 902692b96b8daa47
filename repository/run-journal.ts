// runs/<kind>.json: the outcome of the latest run of each kind (core/run-journal.ts says why).
import { join } from 'node:path';
import { z } from 'zod';
import type { RunRecord } from '../core/run-journal.js';
import { writeFileDurable } from './fs-durable.js';
import { readJsonRecords, recordText, type JsonRecords } from './json-records.js';
import { layout } from './layout.js';

export const runRecordSchema: z.ZodType<RunRecord> = z.object({
  kind: z.enum(['full', 'database', 'images', 'config', 'partial', 'retention', 'health', 'restore-test']),
  workflowId: z.string(),
  backupId: z.string().optional(),
  outcome: z.enum(['succeeded', 'failed', 'unchanged']),
  finishedAt: z.string(),
  error: z.object({ type: z.string().optional(), message: z.string() }).optional(),
});

/** A torn or foreign file is listed as invalid; the next run of its kind rewrites it. */
export async function readRunJournal(root: string): Promise<JsonRecords<RunRecord>> {
  return readJsonRecords(join(root, layout.runsDir), runRecordSchema);
}

export async function writeRunRecord(root: string, record: RunRecord): Promise<void> {
  await writeFileDurable(join(root, layout.runRecord(record.kind)), recordText(runRecordSchema.parse(record)));
}
