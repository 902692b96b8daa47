// restore-tests/: the kept result of every restore test (`restore-test history`, the metrics,
// the HTML report), and every failure of a test whose result keeps only the first ones
// (core/bounded-names.ts). The partial image restore's scratch directory lives here too, and
// off-site copies leave it out.
import { join } from 'node:path';
import { z } from 'zod';
import { checkSchema, type VerificationCheck } from '../core/manifest.js';
import { checklistItemSchema } from './dr-reports.js';
import { writeFileDurable } from './fs-durable.js';
import { readJsonRecords, recordText, type InvalidRecord } from './json-records.js';
import { layout } from './layout.js';

const count = z.number().int().nonnegative();

/** What every kind of test finds; results recorded before failures were bounded have no count. */
const findings = {
  passed: z.boolean(),
  checklist: z.array(checklistItemSchema),
  /** Failed checks only (passing ones are counted in `checked`), each naming its artifact. */
  failures: z.array(checkSchema),
  failureCount: count.optional(),
  /** Relative to the repository: every failure, when `failures` holds only the first. */
  failuresFile: z.string().optional(),
  checked: count,
};

const integrity = z.object({ kind: z.literal('integrity'), ...findings });
const partial = z.object({ kind: z.enum(['partial-database', 'partial-images']), ...findings });
/** The DR runbook in a sandbox: its failures are the checklist items that did not pass. */
const full = z.object({ kind: z.literal('full'), ...findings, failures: z.array(checkSchema.extend({ check: z.literal('checklist') })) });

/** What a test's checks found; the workflow adds the id and times. */
export type RestoreTestOutcome = z.infer<typeof integrity> | z.infer<typeof partial> | z.infer<typeof full>;

const run = { id: z.string(), startedAt: z.string(), finishedAt: z.string() };
export const restoreTestResultSchema = z.discriminatedUnion('kind', [integrity.extend(run), partial.extend(run), full.extend(run)]);
export type RestoreTestResult = z.infer<typeof restoreTestResultSchema>;

export async function writeRestoreTestResult(root: string, result: unknown): Promise<string> {
  const valid = restoreTestResultSchema.parse(result);
  const file = join(root, layout.restoreTestRecord(valid.id));
  await writeFileDurable(file, recordText(valid));
  return file;
}

/** Writes every failure, one JSON line each; returns the file relative to the repository. */
export async function writeRestoreTestFailures(root: string, kind: string, workflowId: string, failures: VerificationCheck[]): Promise<string> {
  const rel = layout.restoreTestFailures(kind, workflowId);
  await writeFileDurable(join(root, rel), `${failures.map((f) => JSON.stringify(f)).join('\n')}\n`);
  return rel;
}

/** The kept results, newest first. */
export async function readRestoreTestHistory(root: string): Promise<{ results: RestoreTestResult[]; invalid: InvalidRecord[] }> {
  const { records, invalid } = await readJsonRecords(join(root, layout.restoreTestsDir), restoreTestResultSchema);
  return { results: records.reverse().map((r) => r.record), invalid };
}
