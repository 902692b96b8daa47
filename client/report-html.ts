// `report --out FILE.html [--days N]`: gathers the last N days from the repository (manifests,
// restore-test results, DR reports: repository/history.ts) and from Temporal (run times), and
// writes the self-contained page of core/report-html.ts. Without Temporal the page is still
// written, saying why run times are missing: the report matters most when something is down.
import { writeFile } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import { reportHtml, type ReportInput } from '../core/report-html.js';
import { readRepositoryHistory } from '../repository/history.js';
import type { InvalidRecord } from '../repository/json-records.js';
import { connectClient } from './connect.js';
import { listRuns } from './status.js';

/** Runs a report lists at most: a year of hourly config snapshots and daily backups. */
const MAX_RUNS = 10_000;

async function runsSince(config: Config, since: Date): Promise<Pick<ReportInput, 'runs' | 'runsUnavailable'>> {
  try {
    const { client, close } = await connectClient(config);
    try {
      return { runs: await listRuns(client, config, MAX_RUNS, since) };
    } finally {
      await close();
    }
  } catch (err) {
    return { runs: [], runsUnavailable: `Temporal at ${config.temporal.address}: ${(err as Error).message}` };
  }
}

/** The page's input, and the records it leaves out because they do not parse. */
export async function collectReportInput(config: Config, days: number, now = new Date()): Promise<ReportInput & { invalidRecords: InvalidRecord[] }> {
  const since = new Date(now.getTime() - days * 86_400_000);
  const [{ manifests, restoreTests, drReports, invalid }, runs] = await Promise.all([readRepositoryHistory(config.repository.root), runsSince(config, since)]);
  return {
    source: config.source.name,
    generatedAt: now.toISOString(),
    since: since.toISOString(),
    rpoTargetMs: config.health.maxDumpAge,
    manifests,
    ...runs,
    restoreTests,
    drReports,
    invalidRecords: invalid,
  };
}

export async function writeHtmlReport(config: Config, out: string, days: number): Promise<ReportInput & { invalidRecords: InvalidRecord[] }> {
  const input = await collectReportInput(config, days);
  await writeFile(out, reportHtml(input), { mode: 0o644 });
  return input;
}
