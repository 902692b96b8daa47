// The run journal's activity: every run ends by recording its outcome in the repository
// (repository/run-journal.ts), where health checks and retention read it without Temporal.
import type { RunRecord } from '../core/run-journal.js';
import { writeRunRecord } from '../repository/run-journal.js';
import type { ActivityDeps } from './deps.js';

export function createRunJournalActivities(deps: ActivityDeps) {
  return {
    async recordRun(record: RunRecord): Promise<void> {
      await writeRunRecord(deps.config.repository.root, record);
    },
  };
}
