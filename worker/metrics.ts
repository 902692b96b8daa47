// Our gauges on the SDK's Prometheus endpoint (config `metrics`): one exporter and one scrape
// target for the SDK's worker metrics and ours. The values come from the repository (manifests,
// restore-test results, DR reports: repository/history.ts), re-read on a timer and right after
// each run that changes them, so a scrape never waits on disk and never sees a half-written record.
// With pitr.enabled, the WAL archive's lag too, on the timer only: it asks the source, which may be
// slow to answer, and no activity should wait on that.
import { Runtime, type ActivityInterceptorsFactory } from '@temporalio/worker';
import type { MetricGauge } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { METRICS, metricSamples, type MetricFacts, type MetricKey } from '../core/metrics.js';
import { readRepositoryHistory } from '../repository/history.js';
import { readRunJournal } from '../repository/run-journal.js';
import type { InvalidRecord } from '../repository/json-records.js';
import { createActivityDeps } from '../activities/deps.js';
import type { SecretStore } from '../activities/secrets.js';
import { gatherArchiveLag } from '../activities/health.js';

/** Activities after which a gauge changes: a manifest committed or pruned, a run (maybe unchanged), a test or drill recorded. */
const REFRESH_AFTER = new Set(['commitBackup', 'deleteBackups', 'recordRun', 'recordRestoreTest', 'drWriteReport']);

/** The gauges' facts, and the records left out of them because they do not parse. */
export async function gatherMetricFacts(root: string, now = new Date()): Promise<{ facts: MetricFacts; invalid: InvalidRecord[] }> {
  const [{ manifests, restoreTests, drReports, invalid }, runs] = await Promise.all([readRepositoryHistory(root), readRunJournal(root)]);
  const unchangedRuns = runs.records.map((r) => r.record).filter((r) => r.outcome === 'unchanged');
  return { facts: { now: now.toISOString(), manifests, unchangedRuns, restoreTests, drReports }, invalid: [...invalid, ...runs.invalid] };
}

export interface WorkerMetrics {
  refresh(): Promise<void>;
  /** Refreshes once an activity that changes a gauge has completed, before the workflow goes on. */
  interceptor: ActivityInterceptorsFactory;
  stop(): void;
}

/**
 * Sets the lag gauge; leaves it unset while no WAL has reached the archive (the health check says
 * so). The worker's secret store: the source's password it resolves is then scrubbed from the log.
 */
function archiveLagRefresher(config: Config, logger: Logger, secrets: SecretStore, gauge: MetricGauge): () => Promise<void> {
  const deps = createActivityDeps(config, logger, secrets);
  return async () => {
    try {
      const { lag } = await gatherArchiveLag(deps);
      if (lag.verdict !== 'never received') gauge.set(lag.lagMs / 1000);
    } catch (err) {
      logger.warn({ err }, 'metrics: could not read the WAL archive\'s lag');
    }
  };
}

/** Needs the Runtime installed with the Prometheus exporter (installSdkRuntime with `metrics`). */
export async function startWorkerMetrics(config: Config & { metrics: NonNullable<Config['metrics']> }, logger: Logger, secrets: SecretStore): Promise<WorkerMetrics> {
  const meter = Runtime.instance().metricMeter;
  const gauges = Object.fromEntries(
    Object.entries(METRICS).map(([key, m]) => [key, meter.createGauge(m.name, m.valueType, m.unit, m.help)]),
  ) as Record<MetricKey, MetricGauge>;
  const refresh = async () => {
    try {
      const { facts, invalid } = await gatherMetricFacts(config.repository.root);
      if (invalid.length) logger.warn({ invalid }, 'metrics: records that do not parse are left out');
      for (const s of metricSamples(facts)) gauges[s.metric].set(s.value, s.labels);
    } catch (err) {
      // Stale gauges (and the timestamp gauges' growing age) show the problem; a backup must not fail for it.
      logger.warn({ err }, 'metrics: could not read the repository');
    }
  };
  const refreshLag = config.pitr.enabled ? archiveLagRefresher(config, logger, secrets, gauges.walArchiveLag) : async () => undefined;
  const timer = setInterval(() => void refresh().then(refreshLag), config.metrics.refreshInterval);
  timer.unref();
  await refresh();
  void refreshLag();
  return {
    refresh,
    interceptor: (ctx) => ({
      inbound: {
        async execute(input, next) {
          const result = await next(input);
          if (REFRESH_AFTER.has(ctx.info.activityType)) await refresh();
          return result;
        },
      },
    }),
    stop: () => clearInterval(timer),
  };
}
