// Builds the worker: registers the workflows (bundled from workflows/) and the activities built
// from the worker's config, and routes the SDK's own log lines into the same scrubbed pino log.
import { NativeConnection, Runtime, Worker, DefaultLogger, type LogLevel, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities/index.js';
import { createActivityDeps } from '../activities/deps.js';
import type { SecretStore } from '../activities/secrets.js';
import type { Config, MetricsConfig } from '../config/schema.js';
import { dataConverterFor } from './payload-codec.js';
import { diskFullInterceptor } from './disk-full.js';
import { bundleWorkflowsInChild } from './workflow-bundle.js';
import type { WorkerMetrics } from './metrics.js';

let runtimeInstalled: { metricsAddress?: string } | undefined;

/**
 * Sends the SDK's logs (worker lifecycle, workflow `log`) into pino and, with `metrics`, serves
 * the SDK's Prometheus metrics (ours join them, worker/metrics.ts). Once per process, before any
 * connection: the SDK's runtime cannot be reconfigured once it exists.
 */
export function installRuntimeLogger(logger: Logger, metrics?: MetricsConfig): void {
  if (runtimeInstalled) {
    if (metrics && runtimeInstalled.metricsAddress !== metrics.address) throw new Error(`metrics.address: the SDK runtime of this process was already set up without metrics on ${metrics.address}`);
    return;
  }
  const toPino = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  try {
    Runtime.install({
      logger: new DefaultLogger('INFO' as LogLevel, (entry) => {
        logger[toPino[entry.level]]({ sdk: true, ...entry.meta }, entry.message);
      }),
      ...(metrics ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metrics.address } } } } : {}),
      // The process decides what a signal stops (worker/stop-signals.ts), exactly once.
      shutdownSignals: [],
    });
  } catch (err) {
    throw metrics ? new Error(`metrics.address ${metrics.address}: ${(err as Error).message}`) : err;
  }
  runtimeInstalled = metrics ? { metricsAddress: metrics.address } : {};
}

export interface BackupWorkerOptions {
  config: Config;
  logger: Logger;
  secrets: SecretStore;
  connection: NativeConnection;
  /** A pre-built bundle (tests bundle once per file); by default one is built in a child process. */
  workflowBundle?: WorkflowBundleOption;
  /** Our gauges, refreshed after the activities that change them. */
  metrics?: WorkerMetrics;
}

export async function createBackupWorker(opts: BackupWorkerOptions): Promise<Worker> {
  const deps = createActivityDeps(opts.config, opts.logger, opts.secrets);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.config.temporal.namespace,
    taskQueue: opts.config.temporal.taskQueue,
    workflowBundle: opts.workflowBundle ?? (await bundleWorkflowsInChild()),
    activities: createActivities(deps),
    interceptors: { activity: [diskFullInterceptor, ...(opts.metrics ? [opts.metrics.interceptor] : [])] },
    ...(opts.config.temporal.payloadKeyFile ? { dataConverter: dataConverterFor(opts.config.temporal.payloadKeyFile) } : {}),
    // 2-core machines: a few parallel steps at most; each one saturates disk or CPU by itself.
    maxConcurrentActivityTaskExecutions: 4,
  });
}
