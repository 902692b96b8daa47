// Our gauges on the SDK's Prometheus endpoint (config `metrics`): one exporter and one scrape
// target for the SDK's worker metrics and ours. The values come from the repository (manifests,
// restore-tests/, dr-reports/), re-read on a timer and right after each run that changes them,
// so a scrape never waits on disk and never sees a half-written record.
import { Runtime, type ActivityInterceptorsFactory } from '@temporalio/worker';
import type { MetricGauge } from '@temporalio/common';
import type { Logger } from 'pino';
import { readRunRecords } from '../activities/records.js';
import type { Config } from '../config/schema.js';
import { METRICS, metricSamples, type MetricFacts, type MetricKey, type RestoreTestRecord } from '../core/metrics.js';

/** Activities after which a gauge changes: a manifest committed or pruned, a test or drill recorded. */
const REFRESH_AFTER = new Set(['commitBackup', 'deleteBackups', 'recordRestoreTest', 'drWriteReport']);

export async function gatherMetricFacts(root: string, now = new Date()): Promise<MetricFacts> {
  const { manifests, restoreTests, drReports } = await readRunRecords(root);
  return { now: now.toISOString(), manifests, restoreTests: restoreTests as unknown as RestoreTestRecord[], drReports };
}

export interface WorkerMetrics {
  refresh(): Promise<void>;
  /** Refreshes once an activity that changes a gauge has completed, before the workflow goes on. */
  interceptor: ActivityInterceptorsFactory;
  stop(): void;
}

/** Needs the Runtime installed with the Prometheus exporter (installSdkRuntime with `metrics`). */
export async function startWorkerMetrics(config: Config & { metrics: NonNullable<Config['metrics']> }, logger: Logger): Promise<WorkerMetrics> {
  const meter = Runtime.instance().metricMeter;
  const gauges = Object.fromEntries(
    Object.entries(METRICS).map(([key, m]) => [key, meter.createGauge(m.name, m.valueType, m.unit, m.help)]),
  ) as Record<MetricKey, MetricGauge>;
  const refresh = async () => {
    try {
      for (const s of metricSamples(await gatherMetricFacts(config.repository.root))) gauges[s.metric].set(s.value, s.labels);
    } catch (err) {
      // Stale gauges (and the timestamp gauges' growing age) show the problem; a backup must not fail for it.
      logger.warn({ err }, 'metrics: could not read the repository');
    }
  };
  const timer = setInterval(() => void refresh(), config.metrics.refreshInterval);
  timer.unref();
  await refresh();
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
