// Reads back the JSON records runs leave in the repository (restore-tests/, dr-reports/), for
// `restore-test history`, the worker's metrics and the HTML report. A record that is not JSON
// names its file in the error rather than vanishing from the history.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DrReport } from '../core/dr-report.js';
import type { Manifest } from '../core/manifest.js';
import { readCatalog } from './catalog.js';

/** Every `*.json` in `dir` (none when it does not exist), newest file name first, with its base name. */
export async function readJsonRecords(dir: string): Promise<Array<{ id: string; record: Record<string, unknown> }>> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort().reverse();
  return Promise.all(
    names.map(async (n) => {
      const text = await readFile(join(dir, n), 'utf8');
      try {
        return { id: n.slice(0, -'.json'.length), record: JSON.parse(text) as Record<string, unknown> };
      } catch (err) {
        throw new Error(`${join(dir, n)}: not JSON: ${(err as Error).message}`);
      }
    }),
  );
}

/** The DR runbook's reports (activities/dr.ts drWriteReport), each with its file's base name. */
export async function readDrReports(root: string): Promise<Array<DrReport & { id: string }>> {
  return (await readJsonRecords(join(root, 'dr-reports'))).map(({ id, record }) => ({ ...(record as unknown as DrReport), id }));
}

/** The kept restore-test results, newest first (`restore-test history`). */
export async function readRestoreTestHistory(root: string): Promise<Array<Record<string, unknown>>> {
  return (await readJsonRecords(join(root, 'restore-tests'))).map((r) => r.record);
}

/** Everything the repository records about past runs, for the metrics and the HTML report. */
export async function readRunRecords(root: string): Promise<{ manifests: Manifest[]; restoreTests: Array<Record<string, unknown>>; drReports: Array<DrReport & { id: string }> }> {
  const [catalog, restoreTests, drReports] = await Promise.all([readCatalog(root), readRestoreTestHistory(root), readDrReports(root)]);
  return { manifests: catalog.manifests, restoreTests, drReports };
}
