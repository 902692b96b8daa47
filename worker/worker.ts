// Builds the worker: registers the workflows (bundled from workflows/) and the activities built
// from the worker's config. The SDK runtime under it is set up by worker/sdk-runtime.ts.
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities/index.js';
import { createActivityDeps } from '../activities/deps.js';
import type { SecretStore } from '../activities/secrets.js';
import type { Config } from '../config/schema.js';
import { dataConverterFor } from './payload-codec.js';
import { diskFullInterceptor } from './disk-full.js';
import { bundleWorkflowsInChild } from './workflow-bundle.js';
import type { WorkerMetrics } from './metrics.js';

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
