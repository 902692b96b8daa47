// healthCheck: hourly, decides whether the backups are healthy (core/health.ts) and alerts on a
// warning or a critical finding (an RPO breach, a size anomaly, a failed run, a full disk, and with
// pitr.enabled a WAL archive past pitr.maxLag or an archiver that does not run).
import { patched, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { evaluateHealth, type HealthReport } from '../core/health.js';
import { BACKUP_KIND, BACKUP_OUTCOME } from '../core/search-attributes.js';
import { ALERT_OPTIONS, bookkeeping, HEALTH_FACTS_OPTIONS, JOURNAL_OPTIONS } from './options.js';
import { recordSummary } from './run-outcome.js';

const { gatherHealth } = proxyActivities<Activities>(HEALTH_FACTS_OPTIONS);
const { sendAlert } = proxyActivities<Activities>(ALERT_OPTIONS);
const { gatherArchiveHealth } = proxyActivities<Activities>({
  summary: 'WAL archive lag (asks the source) and whether the archiver runs (asks Temporal)',
  // Seconds of work: an unreachable source gives up after its 10 s connect timeout and is reported, not thrown.
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3, initialInterval: '10 seconds' },
});

export async function healthCheck(): Promise<HealthReport> {
  upsertSearchAttributes([{ key: BACKUP_KIND, value: 'health' }]);
  const gathered = await gatherHealth();
  const { thresholds, source } = gathered;
  // Runs recorded before the archive check existed replay without it.
  const facts = gathered.pitr && patched('wal-archive-health') ? { ...gathered.facts, archive: await gatherArchiveHealth() } : gathered.facts;
  const report = evaluateHealth(facts, thresholds);
  upsertSearchAttributes([{ key: BACKUP_OUTCOME, value: report.status }]);
  recordSummary(`health ${report.summary}`);
  if (report.status !== 'ok') {
    await sendAlert({
      event: report.status === 'critical' ? 'health_critical' : 'health_warning',
      severity: report.status,
      source,
      summary: report.summary,
      workflowId: workflowInfo().workflowId,
      details: report.checks.filter((c) => c.status !== 'ok').map((c) => `${c.status}: ${c.name}: ${c.detail}`),
      at: new Date().toISOString(),
    });
  }
  await bookkeeping(JOURNAL_OPTIONS).recordRun({ kind: 'health', workflowId: workflowInfo().workflowId, outcome: 'succeeded', finishedAt: new Date().toISOString() });
  return report;
}
