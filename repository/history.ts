// Everything the repository records about past runs, for the worker's metrics and the HTML report:
// the good backups, the restore-test results and the DR reports, with every record that did not
// parse listed apart (file and why), so a reader can say what it left out.
import type { Manifest } from '../core/manifest.js';
import type { DrReport } from '../core/dr-report.js';
import { readCatalog } from './catalog.js';
import { readDrReports } from './dr-reports.js';
import type { InvalidRecord } from './json-records.js';
import { readRestoreTestHistory, type RestoreTestResult } from './restore-tests.js';

export interface RepositoryHistory {
  /** Oldest first. */
  manifests: Manifest[];
  /** Newest first. */
  restoreTests: RestoreTestResult[];
  /** Newest first, each with its file's base name. */
  drReports: Array<DrReport & { id: string }>;
  invalid: InvalidRecord[];
}

export async function readRepositoryHistory(root: string): Promise<RepositoryHistory> {
  const [catalog, tests, drills] = await Promise.all([readCatalog(root), readRestoreTestHistory(root), readDrReports(root)]);
  return {
    manifests: catalog.manifests,
    restoreTests: tests.results,
    drReports: drills.reports,
    invalid: [...catalog.invalid, ...tests.invalid, ...drills.invalid],
  };
}
